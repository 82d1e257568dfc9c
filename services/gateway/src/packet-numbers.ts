import mqttPacket from 'mqtt-packet';

/**
 * mqtt-packet writes the 2-byte numbers of a packet (packet ids, keep-alive, topic lengths) from
 * a cache of 65,536 two-byte Buffers that it builds when it writes its first packet. They live as
 * long as the process: 6 MB, and at 1,000 connected devices about one object in ten of the whole
 * heap, which every major GC marks again (and its pauses are what an alert waits behind). Without
 * the cache each number is a 2-byte slice of Node's Buffer pool, dead as soon as it is written.
 * Global to the module (Aedes writes through the same mqtt-packet): call before the broker runs.
 */
export function writePacketNumbersUncached(): void {
  mqttPacket.writeToStream.cacheNumbers = false;
}
