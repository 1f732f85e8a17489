// One error class for every SEG-Y problem, so callers can tell bad files from bugs.

/** Where in a file a problem is: a 0-based byte offset, a 0-based trace number, or both. */
export interface SegyPlace {
  offset?: number;
  trace?: number;
}

/**
 * A SEG-Y file that cannot be read as asked. The message names the file, the byte offset or trace
 * where the problem is (0-based trace numbers; byte offsets 0-based, with the standard's 1-based
 * position where it names a header field), and says how to fix it.
 */
export class SegyError extends Error {
  override readonly name = 'SegyError';
  constructor(readonly file: string, message: string, readonly place: SegyPlace = {}) {
    const where = [
      place.offset !== undefined ? `byte offset ${place.offset}` : '',
      place.trace !== undefined ? `trace ${place.trace} counting from 0` : '',
    ].filter(Boolean).join(', ');
    super(`${file}${where ? ` (${where})` : ''}: ${message}`);
  }
}
