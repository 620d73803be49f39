/** A random 128-bit id in 22 base64url characters: the sbt visitor id, event ids, a tab's id. */
export const randomId = (): string =>
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))
    .slice(0, 22)
    .replace(/\+/g, '-')
    .replace(/\//g, '_');

export const warn = (message: string) => console.warn('shopbeacon: ' + message);
