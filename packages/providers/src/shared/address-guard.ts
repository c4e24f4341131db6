import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { buildConnector } from 'undici';

/**
 * The SSRF rule for custom base URLs (decision 0021): an upstream call never connects to a
 * link-local or cloud-metadata address unless the operator allows it. Loopback and private ranges
 * stay allowed: Ollama on localhost and model servers on the LAN are the common case.
 *
 * The rule is checked on the address actually connected to, inside the connector, after DNS:
 * a name that resolves to 169.254.169.254 (or starts to, between two calls) is refused as the
 * literal is, and an IP literal is refused before any socket is opened.
 */
const refused = new BlockList();
// IPv4 link-local, which holds the AWS/GCP/Azure/OpenStack/Oracle metadata service 169.254.169.254.
refused.addSubnet('169.254.0.0', 16, 'ipv4');
// Alibaba Cloud's metadata service.
refused.addAddress('100.100.100.200', 'ipv4');
// IPv6 link-local, and the AWS metadata service's IPv6 address.
refused.addSubnet('fe80::', 10, 'ipv6');
refused.addAddress('fd00:ec2::254', 'ipv6');
// NAT64 forms of IPv4 link-local (64:ff9b::169.254.x.y); BlockList already matches the
// IPv4-mapped forms (::ffff:169.254.169.254) of the IPv4 rules above.
refused.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');

/** Names of metadata services that are refused before any lookup (lower case, without a trailing dot). */
const REFUSED_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

/** The error code of a refused address, so callers map it to a field error without parsing text. */
export const ADDRESS_REFUSED = 'ERR_SWITCHBOARD_ADDRESS_REFUSED';

/** Whether connections to link-local and metadata addresses are allowed (the operator's switch). */
export interface AddressPolicy {
  /** `SWITCHBOARD_ALLOW_METADATA_ADDRESSES=1`: connect to link-local and metadata addresses too. */
  allowMetadataAddresses: boolean;
}

/** The error a refused connection fails with; its message names the address, never a secret. */
export class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError';
  readonly code = ADDRESS_REFUSED;
}

/** Throws AddressRefusedError when `host` (a URL's hostname) is refused by its text alone. */
export function assertHostAllowed(host: string): void {
  const reason = refusedHost(host);
  if (reason) throw refusal(host, reason);
}

/** Why `host` (an IP literal or a host name, brackets allowed) is refused, or undefined when it is allowed. */
export function refusedHost(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family === 0) {
    const name = bare.toLowerCase().replace(/\.$/, '');
    return REFUSED_NAMES.has(name) ? 'a cloud metadata service' : undefined;
  }
  return refused.check(bare, family === 6 ? 'ipv6' : 'ipv4')
    ? 'a link-local or cloud metadata address'
    : undefined;
}

function refusal(host: string, reason: string): AddressRefusedError {
  return new AddressRefusedError(
    `${host} is refused, it is ${reason} (the operator allows these with SWITCHBOARD_ALLOW_METADATA_ADDRESSES=1)`,
  );
}

/** The shape of `dns.lookup` that `net.connect` calls (with `all: true` when it tries several families). */
export type LookupFunction = (
  hostname: string,
  options: { all?: boolean; family?: number | string; hints?: number },
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** Wraps a lookup so that every address it returns is checked before the socket connects to it. */
export function guardedLookup(lookup: LookupFunction = dnsLookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, options, (error, address, family) => {
      if (error) return callback(error, address, family);
      const addresses = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
      for (const each of addresses) {
        const reason = refusedHost(each);
        // One refused address refuses the name: a name that mixes them is not an honest upstream.
        if (reason) return callback(refusal(`${hostname} (${each})`, reason), address, family);
      }
      callback(null, address, family);
    });
  };
}

/** Options of `guardedConnector`. */
export interface GuardedConnectorOptions extends AddressPolicy {
  /** Connect timeout, in milliseconds. */
  timeout: number;
  /** The resolver (tests pass one that answers a link-local address for a test name). */
  lookup?: LookupFunction;
}

/**
 * An undici `connect` function that refuses link-local and metadata addresses: host names and IP
 * literals before any socket exists, resolved addresses in the socket's own lookup (so DNS
 * rebinding between validation and use gains nothing). With the policy's allowance it is undici's
 * own connector.
 */
export function guardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const { allowMetadataAddresses, timeout, lookup } = options;
  if (allowMetadataAddresses) return buildConnector({ timeout, ...(lookup ? { lookup } : {}) });
  const connect = buildConnector({ timeout, lookup: guardedLookup(lookup) });
  return (target, callback) => {
    const reason = refusedHost(target.hostname);
    if (reason) {
      callback(refusal(target.hostname, reason), null);
      return;
    }
    connect(target, callback);
  };
}
