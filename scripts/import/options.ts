// The command line of `npm run import`, checked before anything is read or sent: a mistake here
// is exit 1 with what is wrong and the usage.
import { parseArgs } from 'node:util';

export const USAGE = `usage:
  npm run import -- [--customers FILE] [--orders FILE] --endpoint URL --public-key PK --private-key SK
                    [--rate ROWS_PER_S] [--resume] [--batch-size N] [--concurrency N]
                    [--timeout S] [--retry-delay MS] [--stats-json]
  FILE: .csv (header row of field names), or .ndjson / .jsonl (one {"data": {…}} a line).
  The keys and the endpoint may come from SHOPBEACON_PUBLIC_KEY, SHOPBEACON_PRIVATE_KEY and
  SHOPBEACON_ENDPOINT instead (the private key is better kept out of the command line).`;

export interface Options {
  customers?: string;
  orders?: string;
  endpoint: string;
  publicKey: string;
  privateKey: string;
  /** Rows per second; undefined: as fast as the Worker answers. */
  rate?: number;
  resume: boolean;
  /** undefined: 1000, or the checkpoint's when resuming. */
  batchSize?: number;
  concurrency: number;
  timeoutMs: number;
  retryDelayMs: number;
  statsJson: boolean;
}

export class UsageError extends Error {}

export const MAX_BATCH = 1000;
export const DEFAULT_BATCH = 1000;

function number(name: string, value: string | undefined, check: { integer?: boolean; min: number; max?: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const ok = value.trim() !== '' && Number.isFinite(n) && (!check.integer || Number.isInteger(n)) && n >= check.min && (check.max === undefined || n <= check.max);
  if (!ok) throw new UsageError(`--${name} must be ${check.integer ? 'a whole number' : 'a number'} from ${check.min}${check.max === undefined ? ' up' : ` to ${check.max}`}, not "${value}"`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        customers: { type: 'string' },
        orders: { type: 'string' },
        endpoint: { type: 'string' },
        'public-key': { type: 'string' },
        'private-key': { type: 'string' },
        rate: { type: 'string' },
        resume: { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        'retry-delay': { type: 'string' },
        'stats-json': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) throw new UsageError('');
  const missing: string[] = [];
  if (!values.customers && !values.orders) missing.push('a file to import (--customers FILE and/or --orders FILE)');
  const endpoint = values.endpoint ?? env.SHOPBEACON_ENDPOINT;
  const publicKey = values['public-key'] ?? env.SHOPBEACON_PUBLIC_KEY;
  const privateKey = values['private-key'] ?? env.SHOPBEACON_PRIVATE_KEY;
  if (!endpoint) missing.push('the endpoint (--endpoint URL or SHOPBEACON_ENDPOINT)');
  if (!publicKey) missing.push('the public key (--public-key PK or SHOPBEACON_PUBLIC_KEY)');
  if (!privateKey) missing.push('the private key (--private-key SK or SHOPBEACON_PRIVATE_KEY)');
  if (missing.length) throw new UsageError(`missing: ${missing.join('; ')}`);
  let url: URL;
  try {
    url = new URL(endpoint!);
  } catch {
    throw new UsageError(`--endpoint must be the Worker's URL (http://127.0.0.1:8787, https://tracker.example.com), not "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--endpoint must be an http(s) URL, not "${endpoint}"`);
  if (values.customers && values.customers === values.orders) throw new UsageError('--customers and --orders name the same file');
  return {
    customers: values.customers,
    orders: values.orders,
    endpoint: endpoint!.replace(/\/+$/, ''),
    publicKey: publicKey!,
    privateKey: privateKey!,
    rate: number('rate', values.rate, { min: 0.001 }),
    resume: values.resume,
    batchSize: number('batch-size', values['batch-size'], { integer: true, min: 1, max: MAX_BATCH }),
    concurrency: number('concurrency', values.concurrency, { integer: true, min: 1, max: 64 }) ?? 4,
    timeoutMs: (number('timeout', values.timeout, { min: 0.1 }) ?? 60) * 1000,
    retryDelayMs: number('retry-delay', values['retry-delay'], { integer: true, min: 0 }) ?? 500,
    statsJson: values['stats-json'],
  };
}
