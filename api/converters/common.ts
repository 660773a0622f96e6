import type { Page, RunError } from '../../store/types';
import type { ApiStatus } from '../api-types';

/**
 * RFC3339 in UTC with milliseconds, as protobuf's Timestamp JSON writes it: `toISOString`'s
 * form, built from the fields, which takes half its time (a page of a large run's task details
 * formats thousands of timestamps). Years outside 1000–9999 keep `toISOString`'s own form.
 */
export function rfc3339(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString(); // and an invalid date throws as it does
  const ms = date.getUTCMilliseconds();
  return `${year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}T${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

export function optionalRfc3339(date: Date | undefined): string | undefined {
  return date && rfc3339(date);
}

/** gRPC code KFP shows on a failed run or task: UNKNOWN, since the step, not the API, failed. */
const RUN_ERROR_CODE = 2;

/** A run's or task's error as `google.rpc.Status`; the failure type and details ride in `details`. */
export function toRunErrorStatus(error: RunError): ApiStatus {
  const hasDetail = error.type !== undefined || (error.details && Object.keys(error.details).length > 0);
  return {
    code: RUN_ERROR_CODE,
    message: error.message,
    details: hasDetail ? [{ '@type': 'type.googleapis.com/sluice.RunError', ...error.details, type: error.type }] : [],
  };
}

export type ListResponse<K extends string, A> = { [key in K]: A[] } & { total_size: number; next_page_token?: string };

/** A store page as KFP's list response: `{<key>: [...], total_size, next_page_token}`. */
export function toListResponse<K extends string, T, A>(key: K, page: Page<T>, convert: (item: T) => A): ListResponse<K, A> {
  const items = { [key]: page.items.map(convert) } as { [key in K]: A[] };
  return { ...items, total_size: page.totalSize, next_page_token: page.nextPageToken };
}
