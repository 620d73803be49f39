import type { Context } from 'hono';
import { html } from 'hono/html';
import type { JSX } from 'hono/jsx/jsx-runtime';

/** A full HTML page: the doctype, then the JSX (escaped by Hono's JSX). */
export const page = (c: Context, node: JSX.Element, status: 200 | 400 | 403 | 404 | 409 | 410 | 413 | 429 = 200) =>
  c.html(html`<!doctype html>${node}`, status);
