'use strict';
// Thin wrapper over the native binding: a PacketSocket bound to one interface that sends whole
// Ethernet frames, and a UnixDatagramSender that sends to AF_UNIX addresses, abstract ones
// included. Linux only.
const binding = require('./build/Release/af_packet.node');

/** EtherType for ARP (ETH_P_ARP). */
const ETH_P_ARP = 0x0806;

class PacketSocket {
  constructor(ifindex, protocol) {
    this.fd = binding.open(ifindex, protocol === undefined ? ETH_P_ARP : protocol);
  }
  send(frame) {
    if (this.fd < 0) throw Object.assign(new Error('send on a closed PacketSocket'), { code: 'EKA_CLOSED' });
    return binding.send(this.fd, frame);
  }
  close() {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      binding.close(fd);
    }
  }
}

function openPacketSocket(ifindex, protocol) {
  return new PacketSocket(ifindex, protocol);
}

class UnixDatagramSender {
  constructor() {
    this.fd = binding.unixOpen();
  }
  sendTo(address, data) {
    if (this.fd < 0)
      throw Object.assign(new Error('send on a closed UnixDatagramSender'), { code: 'EKA_CLOSED' });
    return binding.unixSendTo(this.fd, address, data);
  }
  bind(address) {
    binding.unixBind(this.fd, address);
  }
  close() {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      binding.close(fd);
    }
  }
}

/** setsockopt(fd, level, name, &int, sizeof int); throws an Error with `errno` on failure. */
function setSocketOptionInt(fd, level, name, value) {
  binding.setSocketOptionInt(fd, level, name, value);
}

module.exports = { ETH_P_ARP, PacketSocket, openPacketSocket, UnixDatagramSender, setSocketOptionInt };
