// What the conformance suite needs besides the .proto files: a missionlogd
// to talk to, the protos loaded as any grpc-js user loads them, promise
// wrappers, and the verifier's arithmetic (RFC 6962 / RFC 9162 proofs,
// C2SP signed notes with Node's Ed25519). Nothing here comes from our C++.
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = path.resolve(__dirname, '../../proto');
const MISSIONLOGD = process.env.MISSIONLOGD;

function protoFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.proto')) files.push(path.relative(PROTO_DIR, full));
    }
  };
  walk(path.join(PROTO_DIR, 'missionlog'));
  return files.sort();
}

// The services, as @grpc/proto-loader gives them to any Node developer.
const packageDefinition = protoLoader.loadSync(
  [...protoFiles(), path.join(__dirname, 'health.proto')],
  {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
    includeDirs: [PROTO_DIR, '/usr/include'],
  });
const loaded = grpc.loadPackageDefinition(packageDefinition);
const v1 = loaded.missionlog.v1;

// protobufjs for what travels outside messages (status details).
const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  for (const dir of [PROTO_DIR, '/usr/include']) {
    const candidate = path.join(dir, target);
    if (fs.existsSync(candidate)) return candidate;
  }
  return target;
};
root.loadSync('missionlog/v1/store.proto', { keepCase: true });
const RpcStatus = root.lookupType('missionlog.v1.RpcStatus');
const WrongExpectedVersion = root.lookupType('missionlog.v1.WrongExpectedVersion');

// Starts missionlogd on a scratch directory and free ports.
async function startServer(flags = []) {
  if (!MISSIONLOGD) throw new Error('set MISSIONLOGD to the missionlogd binary');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'missionlog-conformance-'));
  const proc = spawn(MISSIONLOGD, [
    '--listen=127.0.0.1:0', '--http_listen=', `--data_dir=${dataDir}/store`,
    '--checkpoint_interval_ms=200', ...flags,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (chunk) => { stderr += chunk; });
  const address = await new Promise((resolve, reject) => {
    let stdout = '';
    proc.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (\S+)/);
      if (match) resolve(match[1]);
    });
    proc.on('exit', (code) => reject(new Error(`missionlogd exited ${code}: ${stderr}`)));
  });
  proc.stdout.resume();
  const clients = [];
  const server = {
    address,
    dataDir,
    publicKey: () => fs.readFileSync(path.join(dataDir, 'store', 'log.pub'), 'utf8').trim(),
    client(service, options = {}) {
      const client = new service(address, grpc.credentials.createInsecure(), options);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.close();
      const exited = new Promise((resolve) => proc.on('exit', resolve));
      proc.kill('SIGTERM');
      const code = await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
  return server;
}

// A unary call as a promise; a failure rejects with grpc-js's error
// (code, details, metadata).
function unary(client, method, request, options = {}) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + (options.timeoutMs || 10000));
    client[method](request, new grpc.Metadata(), { deadline }, (error, response) => {
      if (error) reject(error); else resolve(response);
    });
  });
}

// Every message of a server-streaming call, then its end status.
function collect(client, method, request) {
  return new Promise((resolve) => {
    const messages = [];
    const call = client[method](request, new grpc.Metadata(),
      { deadline: new Date(Date.now() + 30000) });
    call.on('data', (message) => messages.push(message));
    call.on('error', (error) => resolve({ messages, error }));
    call.on('end', () => resolve({ messages, error: null }));
  });
}

// A call whose request is the given bytes, not a message we serialise:
// what a client with another protobuf library, or a broken one, sends.
function rawUnary(address, method, bytes) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, (b) => b, (b) => b, bytes, new grpc.Metadata(),
      { deadline: new Date(Date.now() + 10000) },
      (error, response) => { client.close(); resolve({ error, response }); });
  });
}

// The google.rpc.Status in a failed call's grpc-status-details-bin.
function statusDetails(error) {
  const values = error.metadata ? error.metadata.get('grpc-status-details-bin') : [];
  if (values.length === 0) return null;
  return RpcStatus.decode(values[0]);
}

function decodeAny(any) {
  const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
  return { name, message: root.lookupType(name).decode(any.value) };
}

// --- RFC 6962 / RFC 9162 ---------------------------------------------------
const sha256 = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (leaf) => sha256(Buffer.from([0]), leaf);
const nodeHash = (left, right) => sha256(Buffer.from([1]), left, right);

// RFC 9162 2.1.3.2: the root from a leaf's hash and its inclusion proof.
function rootFromInclusionProof(index, size, leaf, proof) {
  if (index >= size) throw new Error('index past size');
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new Error('proof too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('proof too short');
  return r;
}

// RFC 9162 2.1.4.2: checks a consistency proof between two roots.
function verifyConsistency(size1, size2, root1, root2, proof) {
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (size1 === 0 || size1 > size2) return false;
  let path = proof.slice();
  if ((BigInt(size1) & (BigInt(size1) - 1n)) === 0n) path = [root1, ...path];
  let fn = BigInt(size1) - 1n;
  let sn = BigInt(size2) - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  if (path.length === 0) return false;
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && fr.equals(root1) && sr.equals(root2);
}

// --- C2SP signed-note and tlog-checkpoint -----------------------------------
// A verifier key "name+hash+base64(0x01 || Ed25519 public key)".
function parseVerifierKey(text) {
  // The name holds no '+'; the base64 key may.
  const [name, hashHex, ...rest] = text.split('+');
  const keyB64 = rest.join('+');
  const key = Buffer.from(keyB64, 'base64');
  if (key[0] !== 0x01 || key.length !== 33) throw new Error('not an Ed25519 verifier key');
  const raw = key.subarray(1);
  const hash = sha256(Buffer.from(name + '\n'), Buffer.from([0x01]), raw).subarray(0, 4);
  if (hash.toString('hex') !== hashHex) throw new Error('verifier key hash mismatch');
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  return { name, hash, publicKey: crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' }) };
}

// Verifies a note signed by `key`; returns the checkpoint it carries.
function verifyCheckpoint(note, key) {
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error('no signature block');
  const text = note.slice(0, split + 1);
  const signatures = note.slice(split + 2).split('\n').filter((line) => line !== '');
  let verified = false;
  for (const line of signatures) {
    const match = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!match) throw new Error(`malformed signature line: ${line}`);
    const blob = Buffer.from(match[2], 'base64');
    if (match[1] !== key.name || !blob.subarray(0, 4).equals(key.hash)) continue;
    verified = crypto.verify(null, Buffer.from(text), key.publicKey, blob.subarray(4));
    if (!verified) throw new Error('signature does not verify');
  }
  if (!verified) throw new Error('no signature by the log\'s key');
  const lines = text.split('\n');
  return {
    origin: lines[0], size: Number(lines[1]), root: Buffer.from(lines[2], 'base64'),
    extensions: lines.slice(3, -1),
  };
}

// --- The record header (audit.proto, LogEntry.header) -----------------------
function decodeHeader(header) {
  let at = 0;
  const u64 = () => { const v = header.readBigUInt64BE(at); at += 8; return v; };
  const i64 = () => { const v = header.readBigInt64BE(at); at += 8; return v; };
  const out = {};
  out.format = header[at++];
  out.position = u64();
  out.streamVersion = u64();
  out.recordedAtUs = i64();
  out.hasOccurredAt = (header[at++] & 1) === 1;
  out.occurredAtUs = i64();
  const id = header.subarray(at, at + 16).toString('hex'); at += 16;
  out.id = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
  out.payloadSize = header.readUInt32BE(at); at += 4;
  out.payloadDigest = header.subarray(at, at + 32); at += 32;
  const string = () => {
    let length = 0; let shift = 0; let byte;
    do { byte = header[at++]; length += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    const s = header.subarray(at, at + length).toString('utf8'); at += length;
    return s;
  };
  for (const field of ['stream', 'type', 'source', 'recordedBy', 'correlationId',
    'causationId', 'datacontenttype']) {
    out[field] = string();
  }
  if (at !== header.length) throw new Error('bytes after the header\'s last string');
  return out;
}

function payloadDigest(format, salt, data) {
  if (format === 1) return sha256(data);
  return sha256(Buffer.from('missionlog/payload/v2\0'), salt, data);
}

module.exports = {
  grpc, v1, loaded, startServer, unary, collect, rawUnary, statusDetails, decodeAny,
  WrongExpectedVersion, sha256, leafHash, rootFromInclusionProof, verifyConsistency,
  parseVerifierKey, verifyCheckpoint, decodeHeader, payloadDigest,
};
