{
  "targets": [
    {
      "target_name": "af_packet",
      "sources": ["src/af_packet.cc"]
    }
  ]
}
