'use strict';
// A faye Bayeux server on loopback for smscli's interop tests (tests/test_faye_interop.py).
//
//   node tests/interop/faye_server.js [--timeout=SECONDS] [--port=PORT] [--stdin-lifeline]
//
// The long-polling endpoint is mounted at /api/v2/notifications, like GWS's. The first line on
// stdout is the bound port. --timeout (or FAYE_TIMEOUT) is faye's long-poll timeout in seconds
// (default 3); --port (or FAYE_PORT) defaults to 0, any free port. With --stdin-lifeline the
// process exits when its standard input closes, so a test runner that dies takes it along.
//
// A small control API on the same HTTP server lets a test make faye do things:
//   GET  /control/health                  -> {"ok": true}
//   GET  /control/connects?clientId=ID    -> {"count": N}, the /meta/connect messages seen from ID
//   POST /control/publish                 -> {"published": N} once faye accepted every message
//        body {"channel": C, "data": D} or {"messages": [{"channel": C, "data": D}, ...]};
//        optional "afterConnects": {"clientId": ID, "count": N} holds the publish until faye
//        has seen N /meta/connect messages from ID (a long-poll is then pending or answered).

const http = require('http');
const faye = require('faye');

const MOUNT = '/api/v2/notifications';
const WAIT_LIMIT_MS = 15000;

function option(name, fallback) {
  const prefix = `--${name}=`;
  const arg = process.argv.slice(2).find((a) => a.startsWith(prefix));
  if (arg !== undefined) return arg.slice(prefix.length);
  const env = process.env[`FAYE_${name.toUpperCase()}`];
  return env !== undefined && env !== '' ? env : fallback;
}

const timeout = Number(option('timeout', '3'));
const port = Number(option('port', '0'));
if (!(timeout > 0) || !Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('usage: faye_server.js [--timeout=SECONDS>0] [--port=0..65535]\n');
  process.exit(2);
}

const bayeux = new faye.NodeAdapter({ mount: MOUNT, timeout });

// Count /meta/connect messages per client, and wake whoever waits for a count.
const connects = new Map();
let waiters = [];

bayeux.addExtension({
  incoming(message, callback) {
    if (message.channel === '/meta/connect' && typeof message.clientId === 'string') {
      connects.set(message.clientId, (connects.get(message.clientId) || 0) + 1);
      const ready = waiters.filter((w) => w.ready());
      waiters = waiters.filter((w) => !w.ready());
      // Let faye register the connection first; a message published before that is queued
      // for the client anyway, so this is about realism, not correctness.
      for (const w of ready) setImmediate(w.resolve);
    }
    callback(message);
  },
});

function connectsOf(clientId) {
  return connects.get(clientId) || 0;
}

function waitForConnects(clientId, count) {
  return new Promise((resolve, reject) => {
    const waiter = { ready: () => connectsOf(clientId) >= count, resolve };
    if (waiter.ready()) return resolve();
    const timer = setTimeout(() => {
      waiters = waiters.filter((w) => w !== waiter);
      reject(new Error(`no connect #${count} from ${clientId} within ${WAIT_LIMIT_MS} ms`));
    }, WAIT_LIMIT_MS);
    waiter.resolve = () => { clearTimeout(timer); resolve(); };
    waiters.push(waiter);
  });
}

function reply(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

function readJson(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('error', reject);
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function publish(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [body];
  for (const m of messages) {
    if (!m || typeof m.channel !== 'string' || m.data === undefined) {
      throw Object.assign(new Error('each message needs a channel and data'), { status: 400 });
    }
  }
  const after = body.afterConnects;
  if (after) await waitForConnects(String(after.clientId), Number(after.count));
  // Publish them all in one go (once warmed up, faye's client keeps its messages in order),
  // then wait until faye has accepted every one.
  const client = bayeux.getClient();
  await Promise.all(messages.map((m) => client.publish(m.channel, m.data)));
  return messages.length;
}

async function control(request, response) {
  const url = new URL(request.url, 'http://127.0.0.1');
  try {
    if (request.method === 'GET' && url.pathname === '/control/health') {
      return reply(response, 200, { ok: true });
    }
    if (request.method === 'GET' && url.pathname === '/control/connects') {
      return reply(response, 200, { count: connectsOf(url.searchParams.get('clientId') || '') });
    }
    if (request.method === 'POST' && url.pathname === '/control/publish') {
      const published = await publish(await readJson(request));
      return reply(response, 200, { published });
    }
    return reply(response, 404, { error: `no such control endpoint: ${request.method} ${url.pathname}` });
  } catch (error) {
    const status = error.status || (error instanceof SyntaxError ? 400 : 500);
    return reply(response, status, { error: String(error && error.message || error) });
  }
}

// faye's attach() takes the requests under MOUNT and hands every other one to this listener.
const server = http.createServer((request, response) => { control(request, response); });
bayeux.attach(server);

function stop() {
  bayeux.close();
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (process.argv.includes('--stdin-lifeline')) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

// faye's in-process client handshakes on its first publish, and the messages published while
// that handshake is in flight can go out in another order: warm it up before taking requests.
bayeux.getClient().publish('/interop/warm-up', {}).then(() => {
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`${server.address().port}\n`);
  });
}, (error) => {
  process.stderr.write(`faye's in-process client failed to publish: ${error && error.message}\n`);
  process.exit(1);
});
