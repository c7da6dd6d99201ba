'use strict';
// Thin wrapper over the native binding: watch any signal number (real-time ones included) on
// Node's event loop. Linux only.
const binding = require('./build/Release/signals.node');

module.exports = {
  SIGRTMIN: binding.SIGRTMIN,
  SIGRTMAX: binding.SIGRTMAX,
  setCallback: binding.setCallback,
  watch: binding.watch,
  unwatch: binding.unwatch,
  peerCredentials: binding.peerCredentials,
  openFileLimit: binding.openFileLimit,
  setOpenFileLimit: binding.setOpenFileLimit,
  checkSocket: binding.checkSocket,
  socketMarkAndDevice: binding.socketMarkAndDevice,
};
