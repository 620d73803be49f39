// Every e2e file's fetch, sent again once when it went out on a pooled connection the dev server
// had already closed. The tests block this process in spawnSync (npm run site, wrangler d1
// execute) for seconds at a time: meanwhile the server closes the idle keep-alive connection, and
// the first fetch after the block is written to it before Node has read the close ("other side
// closed", UND_ERR_SOCKET). The server never read that request, so sending it again on a new
// connection is what a browser does with a stale connection too. The pool may hold several such
// connections: each is tried and dropped in turn (at most 8).
const original = globalThis.fetch;

const staleConnection = (e: unknown) => {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return e instanceof TypeError && cause?.code === 'UND_ERR_SOCKET' && cause.message === 'other side closed';
};

globalThis.fetch = async (input, init) => {
  // A body stream can be read once: only requests whose body can be sent again are retried.
  const again = !(input instanceof Request) && !(init?.body instanceof ReadableStream);
  for (let attempt = 1; ; attempt++) {
    try {
      return await original(input, init);
    } catch (e) {
      if (!again || !staleConnection(e) || attempt === 8) throw e;
    }
  }
};
