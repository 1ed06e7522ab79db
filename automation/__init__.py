"""lambdakit tooling: run programs under mocks, the sandbox, operations and the stack driver."""
