{
  "targets": [
    {
      "target_name": "signals",
      "sources": ["src/signals.c", "src/peercred.c", "src/rlimit.c", "src/checksock.c"]
    }
  ]
}
