/** JSON Schema fragments shared by request bodies (kept `as const` so handler types are inferred). */
export const uuid = { type: 'string', format: 'uuid' } as const;
export const email = { type: 'string', format: 'email', maxLength: 254 } as const;
export const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;
export const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
export const role = { type: 'string', enum: ['admin', 'manager', 'client'] } as const;
export const uuidList = { type: 'array', items: uuid, maxItems: 10_000 } as const;
export const limit = { type: 'integer', minimum: 1, maximum: 500 } as const;
export const USER_ROLES = ['admin', 'manager', 'client'] as const;
