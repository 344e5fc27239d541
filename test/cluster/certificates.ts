/**
 * Certificates for mutual-TLS tests, made at run time with the `openssl` command: a CA, a server
 * certificate (for 127.0.0.1 and localhost, good for routes too, which authenticate both ways), a
 * client certificate, and a client certificate from another CA that nobody trusts.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A client certificate and key signed by another CA. */
  strangerCertFile: string;
  strangerKeyFile: string;
}

export function makeCertificates(dir: string): TestCertificates {
  const file = (name: string) => join(dir, name);
  authority(dir, 'ca', 'gswarm test CA');
  authority(dir, 'other-ca', 'an untrusted CA');
  issue(
    dir,
    'ca',
    'server',
    'localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth',
  );
  issue(dir, 'ca', 'client', 'gswarm node', 'extendedKeyUsage=clientAuth');
  issue(dir, 'other-ca', 'stranger', 'gswarm node', 'extendedKeyUsage=clientAuth');
  return {
    caFile: file('ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
    strangerCertFile: file('stranger.pem'),
    strangerKeyFile: file('stranger.key'),
  };
}

/** A new EC P-256 key; the arguments `openssl req` takes for it. */
const newKey = (name: string) =>
  `-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ${name}.key`;

function authority(dir: string, name: string, subject: string): void {
  openssl(dir, `req -x509 ${newKey(name)} -out ${name}.pem -days 2`, [
    '-subj',
    `/CN=${subject}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function issue(dir: string, ca: string, name: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\n${extensions}\n`);
  openssl(dir, `req ${newKey(name)} -out ${name}.csr`, ['-subj', `/CN=${subject}`]);
  openssl(
    dir,
    `x509 -req -in ${name}.csr -CA ${ca}.pem -CAkey ${ca}.key -CAcreateserial -out ${name}.pem -days 2 -extfile ${name}.ext`,
    [],
  );
}

/** Runs openssl in `dir` with `words` (file names without spaces) and then `args`. */
function openssl(dir: string, words: string, extra: string[]): void {
  const args = [...words.split(' '), ...extra];
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: Buffer };
    if (code === 'ENOENT') throw new Error('the `openssl` command is not on the PATH; the TLS tests need it');
    throw new Error(`openssl ${args[0]} failed: ${stderr?.toString() ?? error}`);
  }
}
