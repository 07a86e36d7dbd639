/**
 * Model types several parts of the configuration share: address family, script user.
 */

/** AddressFamily of an instance or address: keepalived's inet / inet6. */
export type AddressFamily = 'inet' | 'inet6';

/** ScriptUser is a `user USERNAME [GROUPNAME]` setting for scripts. */
export interface ScriptUser {
  user: string;
  group?: string;
}
