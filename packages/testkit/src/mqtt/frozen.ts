import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

/**
 * An MQTT client made of a bare TCP socket: it writes CONNECT and SUBSCRIBE, then reads nothing
 * at all (the socket is paused), as an operator's laptop that went to sleep with a console open.
 */
export async function frozenSubscriber(port: number, username: string, password: string, filter: string, host = '127.0.0.1'): Promise<Socket> {
  const socket = tcpConnect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  // Read the CONNACK and SUBACK, then stop reading for good.
  const acks = new Promise<void>((resolve, reject) => {
    const parser = mqttPacket.parser();
    let seen = 0;
    parser.on('packet', (p) => {
      if (p.cmd === 'connack' && p.returnCode !== 0) reject(new Error(`CONNACK ${p.returnCode}`));
      if (++seen === 2) {
        socket.off('data', onData);
        socket.pause();
        resolve();
      }
    });
    const onData = (d: Buffer) => parser.parse(d);
    socket.on('data', onData);
  });
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `${username}-frozen`, keepalive: 0, username, password: Buffer.from(password) }));
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] }));
  await acks;
  return socket;
}
