'use strict';
module.exports = require('./build/Release/af_packet.node');
