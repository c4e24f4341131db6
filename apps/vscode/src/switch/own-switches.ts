/** Keys this window activated, so the notice "someone else switched" is not shown for them. */
export class OwnSwitches {
  readonly #expected = new Map<string, number>();

  /** Remembers an activation this window is about to make (forgotten after a minute). */
  expect(credentialId: string): void {
    this.#expected.set(credentialId, Date.now() + 60_000);
  }

  /** Whether this window made the activation; each one is claimed once. */
  claim(credentialId: string): boolean {
    const until = this.#expected.get(credentialId);
    this.#expected.delete(credentialId);
    return until !== undefined && until >= Date.now();
  }
}
