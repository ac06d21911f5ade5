/**
 * SDK errors turned into one sentence each. The SDK's own messages are long and
 * name internals; users need to know whether to fix credentials, the bucket name,
 * the endpoint, or to retry.
 */
import { UphopError, failure, messageOf, usageError } from '../errors.js';
import { objectChanged } from './errors.js';

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const AUTH = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'InvalidClientTokenId', 'AuthorizationHeaderMalformed']);
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export function s3Error(e: unknown, ctx: { url: string; bucket: string; key?: string; endpoint?: string }): UphopError {
  if (e instanceof UphopError) return e;
  const err = (e ?? {}) as SdkError;
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const where = ctx.endpoint ? ` at ${ctx.endpoint}` : '';
  const detail = `${name}: ${messageOf(e)}`;
  if (AUTH.has(name)) {
    return withDetail(
      usageError(
        'STORE_AUTH',
        `The store ${ctx.url}${where} rejected the credentials (${name}).`,
        'Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE, and that --endpoint points at the right server.',
      ),
      detail,
    );
  }
  if (name === 'NoSuchBucket') {
    return withDetail(usageError('STORE_NO_BUCKET', `The bucket "${ctx.bucket}" does not exist${where}.`, 'Check the bucket name in the store URL, or create the bucket first.'), detail);
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    return withDetail(
      usageError('STORE_FORBIDDEN', `Access to ${ctx.key ? `"${ctx.key}" in ` : ''}${ctx.url} was denied.`, 'Check that these credentials may read and write the bucket and prefix.'),
      detail,
    );
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(messageOf(e))) {
    return withDetail(usageError('STORE_NO_CREDENTIALS', `No credentials were found for ${ctx.url}.`, 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE.'), detail);
  }
  if (/Region is missing/i.test(messageOf(e))) {
    return usageError('STORE_NO_REGION', `No region is configured for ${ctx.url}.`, 'Pass --region or set AWS_REGION.');
  }
  if (name === 'PreconditionFailed' || status === 412) return objectChanged(ctx.url, ctx.key ?? '');
  const code = err.code ?? (e as { cause?: SdkError })?.cause?.code ?? '';
  if (NETWORK.has(code) || NETWORK.has(name) || name === 'TimeoutError') {
    return failure(
      'STORE_UNREACHABLE',
      `The store ${ctx.url}${where} could not be reached (${code || name}).`,
      'Check the endpoint URL and the network, then run the command again; downloads resume where they stopped.',
      e,
    );
  }
  return failure(
    'STORE_FAILED',
    `The store ${ctx.url} failed${ctx.key ? ` on "${ctx.key}"` : ''}: ${name || messageOf(e)}.`,
    "Run the command again; rerun with --verbose for the server's answer.",
    e,
  );
}

function withDetail(e: UphopError, detail: string): UphopError {
  return new UphopError(e.code, e.message, { hint: e.hint, exitCode: e.exitCode, detail });
}

export const isNotFound = (e: unknown) => {
  const err = (e ?? {}) as SdkError;
  if (err.name === 'NoSuchBucket') return false;
  return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
};
