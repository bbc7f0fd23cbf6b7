// missionlogd's public API as another department's developer meets it:
// @grpc/grpc-js and @grpc/proto-loader over proto/ and nothing else of
// ours, against a real missionlogd (MISSIONLOGD). Each check states the
// contract the .proto comments give; `make test` runs it
// (tests/CMakeLists.txt, conformance_test).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const lib = require('./lib');

const { grpc, v1 } = lib;
const Status = grpc.status;

let server;
let store;
let audit;
let inquiry;
let health;

before(async () => {
  server = await lib.startServer();
  store = server.client(v1.EventStore);
  audit = server.client(v1.Audit);
  inquiry = server.client(v1.Inquiry);
  health = server.client(lib.loaded.grpc.health.v1.Health);
});

after(async () => {
  assert.equal(await server.stop(), 0, 'missionlogd exits 0 on SIGTERM');
});

const uuid = () => crypto.randomUUID();
const event = (data, extra = {}) => ({
  id: uuid(), type: 'conformance.note.v1', datacontenttype: 'application/json',
  data: Buffer.from(JSON.stringify(data)), ...extra,
});
const append = (stream, events, expected) => lib.unary(store, 'Append', {
  stream, events, expected_version: expected || { kind: 'ANY' },
});
async function rejected(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the call succeeded');
}

test('expected versions, and WrongExpectedVersion decoded from grpc-status-details-bin', async () => {
  const stream = `conf/ev/${uuid()}`;
  const first = await append(stream, [event({ n: 0 })], { kind: 'NO_STREAM' });
  assert.equal(first.stream_version, '0');
  assert.equal(first.first_position, first.last_position);
  const second = await append(stream, [event({ n: 1 }), event({ n: 2 })],
    { kind: 'EXACT', version: '0' });
  assert.equal(second.stream_version, '2');
  assert.equal(BigInt(second.first_position) + 1n, BigInt(second.last_position));

  const error = await rejected(append(stream, [event({ n: 3 })], { kind: 'NO_STREAM' }));
  assert.equal(error.code, Status.ABORTED);
  const details = lib.statusDetails(error);
  assert.ok(details, 'grpc-status-details-bin is present');
  assert.equal(details.code, Status.ABORTED);
  assert.equal(details.details.length, 1);
  const { name, message } = lib.decodeAny(details.details[0]);
  assert.equal(name, 'missionlog.v1.WrongExpectedVersion');
  assert.equal(message.stream, stream);
  assert.equal(message.stream_exists, true);
  assert.equal(Number(message.actual_version), 2);
  assert.equal(message.expected.kind, 2 /* NO_STREAM */);

  const exact = await rejected(append(stream, [event({ n: 3 })], { kind: 'EXACT', version: '7' }));
  assert.equal(exact.code, Status.ABORTED);
  assert.equal(Number(lib.decodeAny(lib.statusDetails(exact).details[0]).message.actual_version), 2);
  const missing = await rejected(append(`conf/ev/${uuid()}`, [event({})], { kind: 'STREAM_EXISTS' }));
  assert.equal(missing.code, Status.ABORTED);
  assert.equal(lib.decodeAny(lib.statusDetails(missing).details[0]).message.stream_exists, false);
});

test('an idempotent retry returns the original positions; a reused id with other content is refused', async () => {
  const stream = `conf/idem/${uuid()}`;
  const events = [event({ a: 1 }), event({ b: 2 })];
  const original = await append(stream, events);
  const retry = await append(stream, events);
  assert.equal(retry.deduplicated, true);
  assert.equal(retry.first_position, original.first_position);
  assert.equal(retry.last_position, original.last_position);
  const changed = [{ ...events[0], data: Buffer.from('{"a":2}') }];
  const error = await rejected(append(stream, changed));
  assert.equal(error.code, Status.ALREADY_EXISTS);
  const info = await lib.unary(store, 'GetStreamInfo', { stream });
  assert.equal(info.last_version, '1', 'the refused append wrote nothing');
});

test('event ids: canonical UUID text; upper case is accepted and stored in lower case', async () => {
  const stream = `conf/uuid/${uuid()}`;
  const id = uuid().toUpperCase();
  const appended = await append(stream, [event({ u: 1 }, { id })]);
  const read = await lib.collect(store, 'Read', { stream: { stream } });
  assert.equal(read.error, null);
  assert.equal(read.messages[0].events[0].id, id.toLowerCase());
  const again = await append(stream, [event({ u: 1 }, { id: id.toLowerCase() })]);
  assert.equal(again.deduplicated, true, 'the same id in either case is the same event');
  assert.equal(again.first_position, appended.first_position);
  for (const bad of ['{' + uuid() + '}', uuid().replace(/-/g, ''), 'not-a-uuid']) {
    const error = await rejected(append(stream, [event({}, { id: bad })]));
    assert.equal(error.code, Status.INVALID_ARGUMENT, bad);
  }
  const generated = await append(stream, [event({}, { id: '' })]);
  const all = await lib.collect(store, 'Read', { stream: { stream } });
  const last = all.messages.flatMap((m) => m.events).pop();
  assert.equal(last.position, generated.first_position);
  assert.match(last.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    'an empty id gets a v7 UUID');
});

test('AppendStream: answers in request order, each with its own result or error', async () => {
  const stream = `conf/as/${uuid()}`;
  const call = store.AppendStream();
  const responses = [];
  const ended = new Promise((resolve) => {
    call.on('data', (response) => responses.push(response));
    call.on('error', (error) => resolve(error));
    call.on('end', () => resolve(null));
  });
  for (let i = 0; i < 20; ++i) {
    // Request 7 expects a stream that does not exist yet: refused alone.
    const expected = i === 7 ? { kind: 'NO_STREAM' } : { kind: 'ANY' };
    call.write({ request_id: `r${i}`, append: { stream, expected_version: expected, events: [event({ i })] } });
  }
  // A string cut inside a surrogate pair (what JavaScript's slice makes):
  // protobufjs writes it as bytes that are not UTF-8.
  call.write({ request_id: 'cut', append: { stream: 'conf/x\u{1F600}'.slice(0, 7), events: [event({})] } });
  call.write({ request_id: 'after', append: { stream, events: [event({ after: true })] } });
  call.end();
  assert.equal(await ended, null, 'the call ends OK');
  assert.deepEqual(responses.map((r) => r.request_id),
    [...Array.from({ length: 20 }, (_, i) => `r${i}`), '', 'after']);
  let previous = -1n;
  responses.forEach((response, i) => {
    if (i === 7) {
      assert.equal(response.outcome, 'error');
      assert.equal(response.error.code, Status.ABORTED);
      const { name, message } = lib.decodeAny(response.error.details[0]);
      assert.equal(name, 'missionlog.v1.WrongExpectedVersion');
      assert.equal(message.stream, stream);
      assert.equal(message.expected.kind, 2 /* NO_STREAM */);
      assert.equal(message.stream_exists, true);
    } else if (i === 20) {
      assert.equal(response.outcome, 'error');
      assert.equal(response.error.code, Status.INVALID_ARGUMENT);
      assert.match(response.error.message, /request 20 of this call \(counting from 0\)/);
    } else {
      assert.equal(response.outcome, 'result', `request ${i}: ${JSON.stringify(response.error)}`);
      const position = BigInt(response.result.first_position);
      assert.ok(position > previous, 'positions follow request order');
      previous = position;
    }
  });
  const info = await lib.unary(store, 'GetStreamInfo', { stream });
  assert.equal(info.last_version, '19', '20 of 22 requests written (19 of the first 20, then "after"): versions 0..19');
});

async function readAll(request) {
  const { messages, error } = await lib.collect(store, 'Read', request);
  assert.equal(error, null);
  const last = messages[messages.length - 1];
  assert.equal(last.done, true, 'the last message says done');
  return { events: messages.flatMap((m) => m.events), last, messages };
}

test('reads: a stream forward and backward with continuation, the log filtered', async () => {
  const stream = `conf/read/${uuid()}`;
  for (let i = 0; i < 5; ++i) await append(stream, [event({ i })]);
  // Forward in pages of 2: next is the version to continue from.
  const versions = [];
  let from = '0';
  for (;;) {
    const page = await readAll({ stream: { stream, from_version: from }, limit: 2 });
    versions.push(...page.events.map((e) => Number(e.stream_version)));
    if (page.last.end) {
      assert.equal(page.last.next, '5', 'at the end, next is the stream\'s next version');
      break;
    }
    from = page.last.next;
  }
  assert.deepEqual(versions, [0, 1, 2, 3, 4]);
  // Backward from the end, in pages of 2, to version 0.
  const backward = [];
  let request = { stream: { stream, backward: true }, limit: 2 };
  for (;;) {
    const page = await readAll(request);
    backward.push(...page.events.map((e) => Number(e.stream_version)));
    if (page.last.end) {
      assert.equal(page.last.next, '0', 'a backward read that reached version 0 says next 0');
      break;
    }
    request = { stream: { stream, backward: true, from_version: page.last.next }, limit: 2 };
  }
  assert.deepEqual(backward, [4, 3, 2, 1, 0]);
  const whole = await readAll({ stream: { stream, backward: true } });
  assert.equal(whole.last.end, true);
  assert.equal(whole.last.next, '0');

  // The log from a position, filtered by stream prefix, in pages.
  const prefix = `conf/filtered/${uuid()}/`;
  const head = await lib.unary(store, 'GetHead', {});
  for (let i = 0; i < 3; ++i) {
    await append(`${prefix}${i}`, [event({ i })]);
    await append(`conf/other/${uuid()}`, [event({ i })]);
  }
  const found = [];
  let position = head.next_position;
  for (;;) {
    const page = await readAll({ all: { from_position: position, filter: { stream_prefix: prefix } }, limit: 2 });
    found.push(...page.events.map((e) => e.subject));
    if (page.last.end) break;
    assert.ok(BigInt(page.last.next) > BigInt(position), 'a page moves forward');
    position = page.last.next;
  }
  assert.deepEqual(found, [0, 1, 2].map((i) => `${prefix}${i}`));
});

test('reads: a stream that does not exist is empty and at its end; a bad name is INVALID_ARGUMENT', async () => {
  const stream = `conf/none/${uuid()}`;
  for (const backward of [false, true]) {
    const page = await readAll({ stream: { stream, backward } });
    assert.equal(page.events.length, 0);
    assert.equal(page.last.end, true);
    assert.equal(page.last.next, '0');
  }
  const info = await lib.unary(store, 'GetStreamInfo', { stream });
  assert.equal(info.exists, false);
  // A name no append could use is a mistake, not an empty stream.
  for (const bad of ['', 'a\u0001b', 'x'.repeat(257)]) {
    const refused = await rejected(lib.unary(store, 'GetStreamInfo', { stream: bad }));
    assert.equal(refused.code, Status.INVALID_ARGUMENT);
    assert.match(refused.details, /^stream: /);
    const read = await lib.collect(store, 'Read', { stream: { stream: bad } });
    assert.equal(read.error && read.error.code, Status.INVALID_ARGUMENT);
    assert.equal(read.messages.length, 0);
  }
});

test('reads and proofs: a position past the head is OUT_OF_RANGE', async () => {
  const head = await lib.unary(store, 'GetHead', {});
  const past = (BigInt(head.next_position) + 1000n).toString();
  const read = await lib.collect(store, 'Read', { all: { from_position: past } });
  assert.equal(read.error && read.error.code, Status.OUT_OF_RANGE, read.error && read.error.details);
  const atHead = await readAll({ all: { from_position: head.next_position } });
  assert.equal(atHead.events.length, 0, 'the head itself is the end, not an error');
  assert.equal(atHead.last.end, true);
  const proof = await rejected(lib.unary(audit, 'GetInclusionProof', { position: past }));
  assert.equal(proof.code, Status.OUT_OF_RANGE);
  const tree = await rejected(lib.unary(audit, 'GetTreeHead', { tree_size: past }));
  assert.equal(tree.code, Status.OUT_OF_RANGE);
  const consistency = await rejected(lib.unary(audit, 'GetConsistencyProof', { old_size: '1', new_size: past }));
  assert.equal(consistency.code, Status.OUT_OF_RANGE);
  // Wrong whatever the log holds: INVALID_ARGUMENT.
  const notInTree = await rejected(lib.unary(audit, 'GetInclusionProof', { position: '5', tree_size: '3' }));
  assert.equal(notInTree.code, Status.INVALID_ARGUMENT);
  const zero = await rejected(lib.unary(audit, 'GetConsistencyProof', { old_size: '0', new_size: '1' }));
  assert.equal(zero.code, Status.INVALID_ARGUMENT);
  const backwards = await rejected(lib.unary(audit, 'GetConsistencyProof', { old_size: '3', new_size: '2' }));
  assert.equal(backwards.code, Status.INVALID_ARGUMENT);
  const entries = await lib.collect(audit, 'GetEntries', { from: past });
  assert.equal(entries.error && entries.error.code, Status.OUT_OF_RANGE);
  const subscribe = await new Promise((resolve) => {
    const call = store.Subscribe({ from_position: past });
    call.on('data', () => {});
    call.on('error', resolve);
    call.on('end', () => resolve(null));
  });
  assert.equal(subscribe && subscribe.code, Status.OUT_OF_RANGE);
});

test('subscriptions: catch-up, caught_up at the head, live events, checkpoints', async () => {
  const prefix = `conf/sub/${uuid()}/`;
  await append(`${prefix}a`, [event({ before: 1 }), event({ before: 2 })]);
  const head = await lib.unary(store, 'GetHead', {});
  const call = store.Subscribe({ from_position: '0', filter: { stream_prefix: prefix } });
  const seen = [];
  let caughtUp = null;
  const live = new Promise((resolve, reject) => {
    call.on('data', async (message) => {
      if (message.message === 'events') {
        seen.push(...message.events.events);
        if (seen.length === 3) resolve();
      } else if (message.message === 'caught_up') {
        caughtUp = message.caught_up.position;
        await append(`${prefix}b`, [event({ live: 1 })]);
      }
    });
    call.on('error', (error) => { if (error.code !== Status.CANCELLED) reject(error); });
  });
  await live;
  assert.deepEqual(seen.map((e) => JSON.parse(e.data)), [{ before: 1 }, { before: 2 }, { live: 1 }]);
  assert.ok(BigInt(caughtUp) >= BigInt(head.next_position),
    'caught_up names the head it reached (every position below it was delivered or skipped)');
  // Other streams' events are skipped; the subscriber learns how far it
  // has got without them.
  const other = await append(`conf/unrelated/${uuid()}`, [event({})]);
  const checkpoint = await new Promise((resolve) => {
    call.on('data', (message) => {
      if (message.message === 'checkpoint' &&
          BigInt(message.checkpoint.position) > BigInt(other.last_position)) {
        resolve(message.checkpoint.position);
      }
    });
  });
  assert.ok(BigInt(checkpoint) > BigInt(other.last_position));
  call.cancel();
});

test('bad input: each refused with INVALID_ARGUMENT naming what is wrong, nothing written', async () => {
  const head = await lib.unary(store, 'GetHead', {});
  const stream = `conf/bad/${uuid()}`;
  const cases = [
    ['an empty stream name', { stream: '', events: [event({})] }, /stream/],
    ['a stream name with a control character', { stream: 'conf/bad/\u0001', events: [event({})] }, /stream/],
    ['a stream name of 257 bytes', { stream: 'x'.repeat(257), events: [event({})] }, /stream/],
    ['invalid UTF-8 in the stream name', { stream: 'conf/\u{1F600}'.slice(0, 6), events: [event({})] }, /missionlog\.v1\.AppendRequest|UTF-8/],
    ['no events', { stream, events: [] }, /events/],
    ['an event without a type', { stream, events: [event({}, { type: '' })] }, /type/],
    ['two events with one id', { stream, events: (() => { const e = event({}); return [e, e]; })() }, /id/],
    ['a payload over 1 MiB', { stream, events: [event({}, { data: Buffer.alloc((1 << 20) + 1) })] }, /payload/],
    ['10,001 events', { stream, events: Array.from({ length: 10001 }, () => ({ type: 't.v1', data: Buffer.alloc(0) })) }, /events/],
  ];
  for (const [what, request, message] of cases) {
    const error = await rejected(lib.unary(store, 'Append', request));
    assert.equal(error.code, Status.INVALID_ARGUMENT, `${what}: ${error.details}`);
    assert.match(error.details, message, what);
  }
  const after = await lib.unary(store, 'GetHead', {});
  assert.equal(after.next_position, head.next_position, 'nothing was written');
});

test('bad input: bytes that are not the request message, to every method', async () => {
  const garbage = [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from('\x0a\x05ab'), crypto.randomBytes(64)];
  const methods = [];
  for (const definition of [v1.EventStore, v1.Audit, v1.Inquiry, v1.Accountability, v1.Projections]) {
    for (const method of Object.values(definition.service)) {
      if (method.requestStream) continue;  // AppendStream: tested above
      methods.push([method.path, method]);
    }
  }
  assert.ok(methods.length >= 20, `${methods.length} methods`);
  for (const [path, method] of methods) {
    const requestType = method.requestType.type.name;
    for (const bytes of garbage) {
      const { error } = method.responseStream
        ? await new Promise((resolve) => {
          const client = new grpc.Client(server.address, grpc.credentials.createInsecure());
          const call = client.makeServerStreamRequest(path, (b) => b, (b) => b, bytes, new grpc.Metadata(), {});
          call.on('data', () => {});
          call.on('error', (e) => { client.close(); resolve({ error: e }); });
          call.on('end', () => { client.close(); resolve({ error: null }); });
        })
        : await lib.rawUnary(server.address, path, bytes);
      assert.ok(error, `${path} accepted garbage`);
      assert.equal(error.code, Status.INVALID_ARGUMENT, `${path}: ${error.code} ${error.details}`);
      assert.match(error.details, new RegExp(`missionlog\\.v1\\.${requestType}`), path);
    }
  }
  const unknown = await lib.rawUnary(server.address, '/missionlog.v1.EventStore/NoSuchMethod', Buffer.alloc(0));
  assert.equal(unknown.error.code, Status.UNIMPLEMENTED, 'a method that does not exist is UNIMPLEMENTED');
});

test('a message over the server\'s message limit is RESOURCE_EXHAUSTED', async () => {
  const error = await rejected(lib.unary(store, 'Append', {
    stream: `conf/huge/${uuid()}`, events: [event({}, { data: Buffer.alloc(21 << 20) })],
  }));
  assert.equal(error.code, Status.RESOURCE_EXHAUSTED);
});

// Waits (by asking) until the log's latest signed checkpoint covers `size`.
async function checkpointCovering(size) {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const checkpoint = await lib.unary(audit, 'GetCheckpoint', {});
      if (BigInt(checkpoint.tree_size) >= BigInt(size)) return checkpoint;
    } catch (error) {
      if (error.code !== Status.NOT_FOUND) throw error;
    }
    if (Date.now() > deadline) assert.fail(`no checkpoint covering ${size}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('audit: the signed checkpoint, every entry\'s header and leaf, inclusion and consistency proofs', async () => {
  const key = lib.parseVerifierKey(server.publicKey());
  await append(`conf/audit/${uuid()}`, [event({ a: 1 }, { source: 'urn:conf', correlation_id: 'c-1',
    time: { seconds: '1700000000', nanos: 0 } })]);
  const head1 = await lib.unary(store, 'GetHead', {});
  const signed1 = await checkpointCovering(head1.next_position);
  const checkpoint1 = lib.verifyCheckpoint(signed1.note, key);
  assert.equal(String(checkpoint1.size), signed1.tree_size);
  assert.equal(checkpoint1.origin, key.name);
  const treeHead = await lib.unary(audit, 'GetTreeHead', { tree_size: signed1.tree_size });
  assert.ok(Buffer.from(treeHead.root_hash).equals(checkpoint1.root), 'GetTreeHead agrees with the checkpoint');

  // Every entry: the header decoded and checked against the fields, the
  // payload against the header's digest, the leaf hash recomputed, and the
  // inclusion proof against the signed root.
  const { messages, error } = await lib.collect(audit, 'GetEntries', { from: '0', count: signed1.tree_size });
  assert.equal(error, null);
  const entries = messages.flatMap((m) => m.entries);
  assert.equal(entries.length, checkpoint1.size);
  const records = (await readAll({ all: { from_position: '0' }, limit: signed1.tree_size })).events;
  for (const entry of entries) {
    const header = lib.decodeHeader(entry.header);
    const recorded = records[Number(entry.position)];
    assert.equal(header.position, BigInt(entry.position));
    assert.equal(header.id, recorded.id);
    assert.equal(header.stream, recorded.subject);
    assert.equal(header.type, recorded.type);
    assert.equal(header.source, recorded.source);
    assert.equal(header.correlationId, recorded.correlation_id);
    assert.equal(header.recordedBy, recorded.recorded_by);
    assert.equal(header.streamVersion, BigInt(recorded.stream_version));
    assert.equal(header.payloadSize, entry.data.length);
    assert.ok(lib.payloadDigest(header.format, entry.data_salt, entry.data).equals(header.payloadDigest),
      `payload digest of ${entry.position}`);
    assert.ok(lib.leafHash(entry.header).equals(entry.leaf_hash), `leaf hash of ${entry.position}`);
    if (recorded.time) {
      assert.equal(header.hasOccurredAt, true);
      assert.equal(header.occurredAtUs, BigInt(recorded.time.seconds) * 1000000n + BigInt(recorded.time.nanos / 1000));
    }
    const proof = await lib.unary(audit, 'GetInclusionProof', { position: entry.position, tree_size: signed1.tree_size });
    const root = lib.rootFromInclusionProof(Number(entry.position), checkpoint1.size, entry.leaf_hash, proof.hashes);
    assert.ok(root.equals(checkpoint1.root), `inclusion of ${entry.position}`);
  }
  const withTime = entries.find((e) => lib.decodeHeader(e.header).source === 'urn:conf');
  assert.ok(withTime, 'the event with a source is there');
  assert.equal(lib.decodeHeader(withTime.header).occurredAtUs, 1700000000000000n);

  // Later: a consistency proof from the first checkpoint to the next.
  for (let i = 0; i < 3; ++i) await append(`conf/audit/${uuid()}`, [event({ i })]);
  const head2 = await lib.unary(store, 'GetHead', {});
  const signed2 = await checkpointCovering(head2.next_position);
  const checkpoint2 = lib.verifyCheckpoint(signed2.note, key);
  assert.ok(checkpoint2.size > checkpoint1.size);
  const consistency = await lib.unary(audit, 'GetConsistencyProof',
    { old_size: signed1.tree_size, new_size: signed2.tree_size });
  assert.ok(lib.verifyConsistency(checkpoint1.size, checkpoint2.size, checkpoint1.root,
    checkpoint2.root, consistency.hashes), 'the consistency proof verifies');
  // A tampered proof does not.
  const tampered = consistency.hashes.map((h) => Buffer.from(h));
  tampered[0][0] ^= 1;
  assert.equal(lib.verifyConsistency(checkpoint1.size, checkpoint2.size, checkpoint1.root,
    checkpoint2.root, tampered), false);
  // And a note whose text was changed does not verify.
  assert.throws(() => lib.verifyCheckpoint(signed2.note.replace(/\n\d+\n/, '\n1\n'), key));
});

test('commands and an inquiry: a subject\'s timeline, read-your-write with min_position', async () => {
  const accountability = server.client(v1.Accountability);
  const slug = `conf-${crypto.randomBytes(4).toString('hex')}`;
  const stream = `${slug}/organisation/${slug}`;
  const registered = await lib.unary(accountability, 'RegisterOrganisation', {
    command: { command_id: 'register-1', stream },
    event: { organisation: slug, name: 'Conformance Office', kind: 'ORGANISATION_KIND_MINISTERIAL_DEPARTMENT',
      valid_from: { year: 2024, month: 7, day: 5 } },
  });
  const retried = await lib.unary(accountability, 'RegisterOrganisation', {
    command: { command_id: 'register-1', stream },
    event: { organisation: slug, name: 'Conformance Office', kind: 'ORGANISATION_KIND_MINISTERIAL_DEPARTMENT',
      valid_from: { year: 2024, month: 7, day: 5 } },
  });
  assert.equal(retried.deduplicated, true, 'a retried command is carried out once');
  assert.equal(retried.position, registered.position);
  const renamed = await lib.unary(accountability, 'RenameOrganisation', {
    command: { command_id: 'rename-1', stream },
    event: { name: 'Office for Conformance', valid_from: { year: 2025, month: 1, day: 1 } },
  });
  const refused = await rejected(lib.unary(accountability, 'RenameOrganisation', {
    command: { command_id: 'rename-x', stream: `${slug}-none/organisation/${slug}-none` },
    event: { name: 'Nobody', valid_from: { year: 2025, month: 1, day: 1 } },
  }));
  assert.equal(refused.code, Status.FAILED_PRECONDITION, 'renaming what was never registered');
  // min_position: every event before it applied; an append's position + 1
  // reads that append.
  const answer = await lib.unary(inquiry, 'Timeline', {
    subject: stream, options: { min_position: (BigInt(renamed.position) + 1n).toString() },
  });
  assert.deepEqual(answer.entries.map((e) => e.position), [registered.position, renamed.position]);
  assert.deepEqual(answer.entries.map((e) => e.type),
    ['missionlog.organisation.registered.v1', 'missionlog.organisation.renamed.v1']);
  assert.ok(BigInt(answer.info.position) > BigInt(renamed.position));
  // as_of_position: the record as it stood before the rename.
  const before = await lib.unary(inquiry, 'Timeline', {
    subject: stream, options: { as_of_position: renamed.position },
  });
  assert.deepEqual(before.entries.map((e) => e.position), [registered.position]);
  const bad = await rejected(lib.unary(inquiry, 'Timeline', { subject: '' }));
  assert.equal(bad.code, Status.INVALID_ARGUMENT);
  const unnamable = await rejected(lib.unary(inquiry, 'Timeline', { subject: 'x'.repeat(300) }));
  assert.equal(unnamable.code, Status.INVALID_ARGUMENT);
  assert.equal(unnamable.details, 'subject: is 300 bytes; the limit is 256');
  // Paging: one entry a page, next_page_token until the last; a token goes
  // only with the query it came from.
  const pages = [];
  let token = '';
  do {
    const page = await lib.unary(inquiry, 'Timeline', {
      subject: stream, options: { page_size: 1, page_token: token },
    });
    pages.push(page.entries.map((e) => e.position));
    token = page.info.next_page_token;
  } while (token && pages.length < 5);
  assert.deepEqual(pages, [[registered.position], [renamed.position]]);
  const first = await lib.unary(inquiry, 'Timeline', { subject: stream, options: { page_size: 1 } });
  assert.ok(first.info.next_page_token);
  const elsewhere = await rejected(lib.unary(inquiry, 'Timeline', {
    subject: `${stream}-other`, options: { page_token: first.info.next_page_token },
  }));
  assert.equal(elsewhere.code, Status.INVALID_ARGUMENT);
  assert.match(elsewhere.details, /page_token/);
});

test('health: the standard health service, for the server and per service name', async () => {
  for (const service of ['', 'missionlog.v1.EventStore', 'missionlog.v1.Audit', 'missionlog.v1.Inquiry',
    'missionlog.v1.Accountability', 'missionlog.v1.Sealing', 'missionlog.v1.Projections', 'missionlog.v1.Admin']) {
    const answer = await lib.unary(health, 'Check', { service });
    assert.equal(answer.status, 'SERVING', `'${service}'`);
  }
  const unknown = await rejected(lib.unary(health, 'Check', { service: 'missionlog.v1.Nothing' }));
  assert.equal(unknown.code, Status.NOT_FOUND);
});
