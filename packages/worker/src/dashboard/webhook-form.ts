// The form that adds a webhook endpoint: what it posts, as the body POST /api/webhooks takes
// (checkWebhook checks both alike), and checkWebhook's field errors back next to the inputs.
import type { FieldError } from '@shopbeacon/protocol';
import { field, type Form, list } from './forms';

export interface WebhookValues {
  url: string;
  /** The ticked event types, "*" for every one. */
  events: string[];
}

export const BLANK_WEBHOOK: WebhookValues = { url: '', events: [] };

export const webhookValues = (form: Form): WebhookValues => ({ url: field(form, 'url').trim(), events: list(form.events) });

/** Field errors by input: "url" → url, "events" and "events[2]" → events; anything else → "form", above the form. */
export function webhookErrors(errors: FieldError[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { field, reason } of errors) {
    if (field === 'url') (out.url ??= []).push(reason);
    else if (/^events(\[\d+\])?$/.test(field)) (out.events ??= []).push(reason);
    else (out.form ??= []).push(`${field}: ${reason}`);
  }
  return out;
}
