/**
 * Progress of a long operation on stderr, only when stderr is a terminal: pipes and files
 * (and so scripts and CI logs) never see it. Each update rewrites one line; `done` clears it.
 */
export class Progress {
  readonly #write: (text: string) => void;
  readonly #enabled: boolean;
  #shown = false;

  constructor(write: (text: string) => void, isTerminal: boolean) {
    this.#write = write;
    this.#enabled = isTerminal;
  }

  update(text: string): void {
    if (!this.#enabled) return;
    this.#write(`\r\x1b[2K${text}`);
    this.#shown = true;
  }

  done(): void {
    if (!this.#shown) return;
    this.#write('\r\x1b[2K');
    this.#shown = false;
  }
}
