/**
 * Work a process does every so often (looking for jobs Redis lost, vacuuming the hot tables): `run`
 * goes `everyMs` after the previous run ended, so runs never overlap; a failed run is reported to
 * `onError` and the next one goes as planned. `stop()` cancels the next run and waits for the one under way.
 */
export class PeriodicTask {
  readonly #run: () => Promise<unknown>;
  readonly #everyMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;

  constructor(run: () => Promise<unknown>, everyMs: number, onError: (error: unknown) => void) {
    this.#run = run;
    this.#everyMs = everyMs;
    this.#onError = onError;
  }

  start(): void {
    const tick = () => {
      this.#running = this.#run()
        .catch(this.#onError)
        .finally(() => {
          this.#running = null;
          if (this.#timer !== null) this.#timer = setTimeout(tick, this.#everyMs);
        });
    };
    this.#timer = setTimeout(tick, this.#everyMs);
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
