'use strict';
// The CometD project's own Node.js Bayeux server (npm cometd-nodejs-server) behind a small
// GWS-like REST layer, on loopback, for smscli's interop tests (tests/test_cometd_interop.py).
//
//   node tests/interop/cometd_gws_server.js [--timeout=SECONDS] [--max-interval=SECONDS]
//        [--port=PORT] [--user=NAME] [--password=SECRET] [--stdin-lifeline]
//
// The first line on stdout is the bound port. --timeout is CometD's long-poll timeout (default
// 3 s), --max-interval how long CometD keeps a client that sends no /meta/connect (default
// 10 s). With --stdin-lifeline the process exits when its standard input closes.
//
// What cometd-nodejs-server 1.2.1 does, read from its source (cometd-nodejs-server.js):
//
// * Client identity. Its long-polling transport finds the server session of a request through
//   the BAYEUX_BROWSER cookie first: the cookie names a "browser", a list of sessions, and the
//   message's clientId is then looked up in that list only. A request without the cookie (or
//   with a cookie the server never issued) has no session at all, whatever its clientId. The
//   handshake reply sets the cookie (HttpOnly, no Path) only when the request had none; a
//   client that sends an old cookie to a restarted server keeps that browser id.
// * Unknown clients. A message without a session is answered (HTTP 200) with
//   successful:false, error "402::session_unknown" and, for /meta/handshake and /meta/connect,
//   advice {reconnect: "handshake", interval: 0}. Subscribe and publish get the error without
//   advice.
// * One held connect per browser (option maxSessionsPerBrowser, default 1). A /meta/connect
//   that would be held while another session of the same browser already holds one is
//   answered at once, successfully, with advice {"multiple-clients": true, reconnect: "retry",
//   interval: multiSessionInterval (default 2000 ms)}; with multiSessionInterval 0 it is
//   successful:false with reconnect "none" instead. No timeout advice is added there.
// * A second concurrent connect of the same session (same clientId) cancels the held one:
//   the held request gets HTTP 500 (option duplicateMetaConnectHttpResponseCode) with an empty
//   body, the new one is held.
// * Advice: the handshake reply carries {reconnect: "retry", timeout, interval}; a connect
//   reply carries advice only when the client's connect message had an "advice" field. The
//   client's connect advice.timeout/interval override the server's for that session.
// * Piggybacking. Every reply except the handshake's drains the session's message queue into
//   the same response, queued messages first, then the replies: events queued while no
//   connect was held ride on the next /meta/subscribe (or publish, unsubscribe) reply. A
//   server-side listener may also deliver to the session while its subscribe is processed (the
//   request is a batch), and that message goes out in the subscribe reply; this file's
//   /control/piggyback uses exactly that.
// * Expiry. A session that has no held connect for longer than interval + maxInterval is
//   removed by a sweeper (about once a second); a removed session's held connect, if any, is
//   cancelled with HTTP 500.
// * It reads the request body itself unless request.body is already set; this file parses the
//   body first (to count Bayeux channels) and hands it over that way, so CometD never listens
//   to the request's 'aborted'/'error' events: a socket destroyed under a held connect goes
//   unnoticed until the connect's timeout, when the reply finds the socket gone. The browser's
//   held-connect slot stays taken until then.
//
// GWS-like REST (Basic auth, one user): GET /api/v2/me, /api/v2/me/smssessions (?fields=...
// gives {"statusCode":0,"smssessions":[...]}, none gives "uris"), /api/v2/me/smssessions/ID,
// /api/v2/me/smssessions/ID/messages?startIndex=&count= (index >= startIndex, at most count,
// count 0 = all). Events go out on /v2/me/smssessions in GWS's shapes:
//   {"messageType":"MessageLogUpdated","notificationType":"NewMessages",
//    "smssessionUri":".../api/v2/me/smssessions/ID","messages":[...]}
//   {"messageType":"SMSsessionStateChangeMessage","notificationType":"StatusChange",
//    "smssession":{...}}
//
// Control API (JSON, no auth), all POSTs take a JSON body and answer JSON:
//   GET  /control/health
//   POST /control/session    {id, state="Chatting", participants?, publish=true} -> session
//   POST /control/message    {session, text, publish=true} -> the stored message
//   POST /control/state      {session, state, publish=true} -> session
//   GET  /control/transcript?session=ID -> {messages}
//   POST /control/expire     {flush=true}: CometD forgets every client; with flush a held
//                            connect is answered at once (normally), so the next one gets 402
//   POST /control/restart    a new CometD server instance; the old one's held connects lose
//                            their sockets (as a restarted process would drop them)
//   POST /control/cut        destroys the sockets of the held /meta/connect requests behind
//                            CometD's back (a NAT dropping idle connections) -> {cut, now}
//   POST /control/options    {name: value...} sets CometD options live (e.g. timeout,
//                            maxSessionsPerBrowser, multiSessionInterval) -> the options
//   POST /control/second-tab {}: a second session in the browser of the latest Bayeux client
//                            that takes the browser's held-connect slot the moment the client's
//                            held connect ends, and keeps it -> {clientId, browser}
//   POST /control/piggyback  {session, text}: on the next /meta/subscribe the subscribing
//                            client gets a MessageLogUpdated with a new message in the
//                            subscribe reply; the message is in the transcript only after
//                            POST /control/commit-pending
//   GET  /control/state      {held: [{clientId, browser, ageMs}], clients, secondTab, ...}
//   GET  /control/requests?since=MS -> {now, requests: [{t, method, path, channels, clientId,
//                            browser, status, cut, replies}]}, every non-control request with
//                            its arrival time (ms since the epoch, this process's clock)

const http = require('http');
const { EventEmitter } = require('events');
const cometdLib = require('cometd-nodejs-server');

const MOUNT = '/api/v2/notifications';
const CHANNEL = '/v2/me/smssessions';
const REST = '/api/v2/me';

function option(name, fallback) {
  const prefix = `--${name}=`;
  const arg = process.argv.slice(2).find((a) => a.startsWith(prefix));
  return arg !== undefined ? arg.slice(prefix.length) : fallback;
}

const timeoutS = Number(option('timeout', '3'));
const maxIntervalS = Number(option('max-interval', '10'));
const port = Number(option('port', '0'));
const USER = option('user', 'agent');
const PASSWORD = option('password', 'secret');
if (!(timeoutS > 0) || !(maxIntervalS > 0) || !Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(
    'usage: cometd_gws_server.js [--timeout=S>0] [--max-interval=S>0] [--port=N]\n');
  process.exit(2);
}

let baseUrl = '';

// -- the GWS side: sessions and transcripts ---------------------------------------------------

const sessions = new Map(); // id -> {resource, messages}
const pending = []; // [{session, message}] delivered by /control/piggyback, not yet in a transcript
let piggyback = null; // {session, text} waiting for the next subscribe

const CUSTOMER = { type: 'Customer', nickname: 'Cleo', participantId: '00CC00000000C001' };
const AGENT = { type: 'Agent', nickname: USER, participantId: '00AA00000000A001' };

function gwsTimestamp(ms) {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function sessionUri(id) {
  return `${baseUrl}${REST}/smssessions/${id}`;
}

function render(record) {
  return JSON.parse(JSON.stringify(record.resource));
}

function addSession(body) {
  const id = String(body.id || '');
  if (!id || sessions.has(id)) throw httpError(400, `bad or duplicate session id ${id}`);
  const state = body.state || 'Chatting';
  const resource = {
    id,
    uri: sessionUri(id),
    path: `/me/smssessions/${id}`,
    state,
    participants: Array.isArray(body.participants) ? body.participants : [CUSTOMER, AGENT],
    capabilities: state === 'Completed' ? [] : ['SendMessage', 'Complete'],
    userData: {},
    receivedDate: gwsTimestamp(Date.now()),
  };
  const record = { resource, messages: [] };
  sessions.set(id, record);
  if (body.publish !== false) publishState(record);
  return render(record);
}

function recordOf(id) {
  const record = sessions.get(String(id));
  if (!record) throw httpError(404, `no session ${id}`);
  return record;
}

function newMessage(record, text, offset = 0) {
  const now = Date.now();
  return {
    index: record.messages.length + 1 + offset,
    type: 'Text',
    from: CUSTOMER,
    text: String(text),
    visibility: 'All',
    timestamp: gwsTimestamp(now),
    timestampSeconds: now,
  };
}

function appendMessage(body) {
  const record = recordOf(body.session);
  const message = newMessage(record, body.text);
  record.messages.push(message);
  if (body.publish !== false) publishMessages(record, [message]);
  return message;
}

function changeState(body) {
  const record = recordOf(body.session);
  record.resource.state = String(body.state);
  record.resource.capabilities = body.state === 'Completed' ? [] : ['SendMessage', 'Complete'];
  if (body.publish !== false) publishState(record);
  return render(record);
}

function logUpdated(record, messages) {
  return {
    messageType: 'MessageLogUpdated',
    notificationType: 'NewMessages',
    smssessionUri: sessionUri(record.resource.id),
    messages,
  };
}

function publishMessages(record, messages) {
  cometd.createServerChannel(CHANNEL).publish(null, logUpdated(record, messages));
}

function publishState(record) {
  cometd.createServerChannel(CHANNEL).publish(null, {
    messageType: 'SMSsessionStateChangeMessage',
    notificationType: 'StatusChange',
    smssession: render(record),
  });
}

// -- the CometD side ---------------------------------------------------------------------------

let cometd = null;
let generation = 0;
const clients = new Map(); // server session id -> server session, of the current instance

function startCometd() {
  if (cometd) cometd.close();
  generation += 1;
  clients.clear();
  cometd = cometdLib.createCometDServer({
    timeout: Math.round(timeoutS * 1000),
    maxInterval: Math.round(maxIntervalS * 1000),
  });
  cometd.addListener('sessionAdded', (session) => clients.set(session.id, session));
  cometd.addListener('sessionRemoved', (session) => clients.delete(session.id));
  // The piggyback hook: deliver to the subscribing session while its subscribe is processed.
  cometd.addListener('subscribed', (channel, session) => {
    if (!piggyback || channel.name !== CHANNEL) return;
    const record = sessions.get(piggyback.session);
    if (!record) return;
    const message = newMessage(record, piggyback.text, pending.length);
    pending.push({ session: record.resource.id, message });
    piggyback = null;
    session.deliver(null, CHANNEL, logUpdated(record, [message]));
  });
}

// -- requests, held connects and the log -------------------------------------------------------

const log = []; // every non-control request
const held = new Set(); // {entry, request, response, browser, clientId, since}

function browserOf(request) {
  const match = /(?:^|;\s*)BAYEUX_BROWSER=([^;]*)/.exec(request.headers.cookie || '');
  return match ? match[1].trim() : null;
}

function logRequest(request, response, url) {
  const entry = {
    t: Date.now(),
    method: request.method,
    path: url.pathname,
    channels: [],
    clientId: null,
    browser: browserOf(request),
    status: null,
    cut: false,
    replies: null,
  };
  log.push(entry);
  response.on('finish', () => { entry.status = response.statusCode; });
  response.on('close', () => {
    if (entry.status === null) entry.status = entry.cut ? 'cut' : 'closed';
  });
  return entry;
}

// Keeps a copy of what CometD wrote, so that a test can see replies and advice in the log.
function recordReplies(response, entry, onEnd) {
  const end = response.end.bind(response);
  response.end = (chunk, ...rest) => {
    if (typeof chunk === 'string' && chunk) {
      try {
        entry.replies = JSON.parse(chunk);
      } catch (error) {
        entry.replies = chunk;
      }
    }
    const result = end(chunk, ...rest);
    // CometD has let go of the connect by now: what waits for that runs before any new I/O.
    if (onEnd) process.nextTick(onEnd);
    return result;
  };
}

function handleBayeux(request, response, entry) {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let messages;
    try {
      messages = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      response.statusCode = 400;
      response.end();
      return;
    }
    if (!Array.isArray(messages)) messages = [messages];
    entry.channels = messages.map((m) => m && m.channel);
    entry.clientId = (messages.find((m) => m && m.clientId) || {}).clientId || null;
    let release = null;
    if (messages.length === 1 && messages[0] && messages[0].channel === '/meta/connect') {
      const slot = { entry, request, response, browser: entry.browser, clientId: entry.clientId,
        since: Date.now(), generation };
      held.add(slot);
      release = () => {
        if (!held.delete(slot)) return;
        if (secondTab && secondTab.waiting && slot.browser === secondTab.browser) takeSlot();
      };
      response.on('close', release);
    }
    recordReplies(response, entry, release);
    request.body = messages; // CometD takes it as it is and does not read the request itself
    cometd.handle(request, response);
  });
}

// -- a second tab of the same browser, inside this process ---------------------------------------

let secondTab = null; // {browser, clientId, waiting, holding, replies}

// A fake request/response pair that CometD's transport accepts: it processes a request whose
// body is set synchronously up to the point where it holds the connect.
function inProcess(browser, messages, onReply) {
  const request = new EventEmitter();
  request.method = 'POST';
  request.headers = { cookie: `BAYEUX_BROWSER=${browser}` };
  request.body = messages;
  const response = new EventEmitter();
  response.statusCode = 200;
  response.socket = { destroyed: false };
  response.setHeader = () => {};
  response.end = (content) => {
    let replies = [];
    try {
      replies = JSON.parse(content || '[]');
    } catch (error) {
      replies = [];
    }
    setImmediate(() => response.emit('finish'));
    onReply(response.statusCode, replies);
  };
  cometd.handle(request, response);
}

function takeSlot() {
  const tab = secondTab;
  const myGeneration = generation;
  tab.waiting = false;
  tab.holding = true;
  inProcess(tab.browser, [{
    channel: '/meta/connect', clientId: tab.clientId, connectionType: 'long-polling',
    advice: { timeout: 3600000 },
  }], (status, replies) => {
    tab.holding = false;
    tab.replies = replies;
    if (secondTab !== tab || myGeneration !== generation) return;
    const reply = replies.find((r) => r.channel === '/meta/connect') || {};
    if (!reply.successful) {
      secondTab = null; // forgotten (expired): this tab is closed
      return;
    }
    tab.waiting = true; // lost the slot (multiple-clients) or the hour passed: next time
  });
}

function openSecondTab() {
  const latest = [...log].reverse().find((e) => e.browser && e.path === MOUNT);
  if (!latest) throw httpError(409, 'no Bayeux client with a BAYEUX_BROWSER cookie yet');
  const browser = latest.browser;
  let clientId = null;
  inProcess(browser, [{
    channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'],
  }], (status, replies) => {
    const reply = replies.find((r) => r.channel === '/meta/handshake') || {};
    clientId = reply.clientId || null;
  });
  if (!clientId) throw httpError(500, 'the second tab could not handshake');
  secondTab = { browser, clientId, waiting: true, holding: false, replies: null };
  const busy = [...held].some((slot) => slot.browser === browser);
  if (!busy) takeSlot();
  return { clientId, browser };
}

// -- control -------------------------------------------------------------------------------------

function httpError(status, message) {
  return Object.assign(new Error(message), { status });
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
        reject(httpError(400, `bad JSON: ${error.message}`));
      }
    });
  });
}

function destroyHeld(filter) {
  let count = 0;
  for (const slot of [...held]) {
    if (!filter(slot)) continue;
    slot.entry.cut = true;
    held.delete(slot);
    slot.request.socket.destroy();
    count += 1;
  }
  return count;
}

function expire(body) {
  const removed = [...clients.values()];
  for (const session of removed) {
    cometd._removeServerSession(session, true); // as CometD's own sweeper does on expiry
    if (body.flush !== false) session._flush(); // answer a held connect now, as usual
  }
  if (secondTab) secondTab = null;
  return { expired: removed.length };
}

function restart() {
  const old = generation;
  const dropped = destroyHeld((slot) => slot.generation === old);
  secondTab = null;
  startCometd();
  return { restarted: generation, dropped };
}

const controlRoutes = {
  'GET /control/health': () => ({ ok: true }),
  'POST /control/session': addSession,
  'POST /control/message': appendMessage,
  'POST /control/state': changeState,
  'GET /control/transcript': (body, url) => ({
    messages: recordOf(url.searchParams.get('session')).messages,
  }),
  'POST /control/expire': expire,
  'POST /control/restart': restart,
  'POST /control/cut': () => ({ cut: destroyHeld(() => true), now: Date.now() }),
  'POST /control/options': (body) => {
    Object.assign(cometd.options, body);
    return cometd.options;
  },
  'POST /control/second-tab': openSecondTab,
  'POST /control/piggyback': (body) => {
    recordOf(body.session);
    piggyback = { session: String(body.session), text: String(body.text) };
    return { armed: true };
  },
  'POST /control/commit-pending': () => {
    const committed = pending.splice(0);
    for (const { session, message } of committed) sessions.get(session).messages.push(message);
    return { committed: committed.length };
  },
  'GET /control/state': () => ({
    held: [...held].map((s) => ({ clientId: s.clientId, browser: s.browser,
      ageMs: Date.now() - s.since })),
    clients: [...clients.keys()],
    generation,
    piggybackArmed: piggyback !== null,
    pending: pending.length,
    secondTab: secondTab && { clientId: secondTab.clientId, browser: secondTab.browser,
      holding: secondTab.holding, waiting: secondTab.waiting },
  }),
  'GET /control/requests': (body, url) => {
    const since = Number(url.searchParams.get('since') || 0);
    return { now: Date.now(), requests: log.filter((e) => e.t >= since) };
  },
};

async function control(request, response, url) {
  const route = controlRoutes[`${request.method} ${url.pathname}`];
  try {
    if (!route) throw httpError(404, `no such control endpoint: ${request.method} ${url.pathname}`);
    const body = request.method === 'POST' ? await readJson(request) : {};
    return reply(response, 200, route(body, url));
  } catch (error) {
    return reply(response, error.status || 500, { error: String(error && error.message || error) });
  }
}

// -- REST ----------------------------------------------------------------------------------------

function gwsError(response, status, statusCode, message, headers = {}) {
  const text = JSON.stringify({ statusCode, statusMessage: message });
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(text);
}

function authorized(request) {
  const header = request.headers.authorization || '';
  if (!header.startsWith('Basic ')) return false;
  const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
  return user === USER && rest.join(':') === PASSWORD;
}

function rest(request, response, url) {
  if (request.method !== 'GET') return gwsError(response, 405, 1, 'Method not allowed');
  const parts = url.pathname.slice(REST.length).split('/').filter(Boolean);
  if (parts.length === 0) {
    return reply(response, 200, { statusCode: 0, user: {
      id: '00AA00000000A001', userName: USER, firstName: USER, lastName: 'Agent',
      roles: ['ROLE_AGENT'], enabled: true } });
  }
  if (parts[0] !== 'smssessions') return gwsError(response, 404, 6, 'Resource not found');
  if (parts.length === 1) {
    const all = [...sessions.values()].map(render);
    if (!url.searchParams.get('fields')) {
      return reply(response, 200, { statusCode: 0, uris: all.map((s) => s.uri) });
    }
    return reply(response, 200, { statusCode: 0, smssessions: all });
  }
  const record = sessions.get(parts[1]);
  if (!record) return gwsError(response, 404, 6, `SMS session ${parts[1]} not found`);
  if (parts.length === 2) {
    return reply(response, 200, { statusCode: 0, smssession: render(record) });
  }
  if (parts.length === 3 && parts[2] === 'messages') {
    const start = Number(url.searchParams.get('startIndex') || 1);
    const count = Number(url.searchParams.get('count') || 0);
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0) {
      return gwsError(response, 400, 10, 'startIndex and count must be non-negative integers');
    }
    const page = record.messages.filter((m) => m.index >= start);
    return reply(response, 200, { statusCode: 0, messages: count ? page.slice(0, count) : page });
  }
  return gwsError(response, 404, 6, 'Resource not found');
}

// -- the server ----------------------------------------------------------------------------------

const server = http.createServer((request, response) => {
  const url = new URL(request.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/control/')) return control(request, response, url);
  const entry = logRequest(request, response, url);
  if (!authorized(request)) {
    request.resume();
    return gwsError(response, 401, 2, 'Unauthorized', { 'WWW-Authenticate': 'Basic realm="gws"' });
  }
  if (url.pathname === MOUNT) return handleBayeux(request, response, entry);
  if (url.pathname === REST || url.pathname.startsWith(`${REST}/`)) {
    return rest(request, response, url);
  }
  return gwsError(response, 404, 6, 'Resource not found');
});
// CometD holds connects for its timeout: Node's own request timeouts must not cut them first.
server.requestTimeout = 0;
server.headersTimeout = 60000;

function stop() {
  if (cometd) cometd.close();
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

startCometd();
server.listen(port, '127.0.0.1', () => {
  baseUrl = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${server.address().port}\n`);
});
