// Values the global setup provides to test files (vitest's `inject`).
declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the PostgreSQL server this test run uses; each test file makes its own schema in it. */
    postgresUrl: string;
  }
}

export {};
