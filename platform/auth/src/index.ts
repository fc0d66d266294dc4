// The national authentication service (issue 12). Filled in by the OpenID Connect provider work.
export {};
