import { connect, type Socket } from 'node:net';

/** Where an attack connects from: a loopback address of its own, so per-address throttles see it apart. */
export interface AttackTarget {
  host: string;
  port: number;
  /** Local address the attack's sockets bind to (e.g. 127.0.0.2). */
  from: string;
}

/** How a socket of an attack ended. */
export interface SocketEnd {
  /** The first line of what the server answered, if anything (`HTTP/1.1 413 …`). */
  statusLine: string;
  /** The server closed the connection (rather than the attack giving up). */
  closedByServer: boolean;
}

/**
 * Opens a socket, writes `head`, then calls `feed` until the server answers or closes, or
 * `giveUpMs` passes; resolves with how it ended. Every socket is destroyed at the end.
 */
export function attackSocket(
  target: AttackTarget,
  head: string,
  feed: (socket: Socket) => void,
  giveUpMs: number,
): Promise<SocketEnd> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port, localAddress: target.from });
    let answer = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(feeder);
      socket.destroy();
      resolve({ statusLine: answer.split('\r\n')[0] ?? '', closedByServer });
    };
    const timer = setTimeout(() => finish(false), giveUpMs);
    let feeder: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      if (head) socket.write(head);
      feeder = setInterval(() => {
        if (!socket.destroyed && socket.writable) feed(socket);
      }, 200);
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}
