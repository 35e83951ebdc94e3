import type { CommandSpec } from './command.ts';

/** One entry of the command table: its name, a one-line summary, and the module whose `command` runs it. */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ command: CommandSpec }>;
}

/**
 * Every `schakel` command. A new command is one line here and a module exporting `command: CommandSpec`
 * (src/cli/command.ts); modules load only when their command runs, so `schakel --help` stays quick.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'serve', summary: 'run the gateway until SIGINT/SIGTERM', load: () => import('./serve.ts') },
  {
    name: 'check-config',
    summary: 'check a configuration as start-up does, without starting (exit 0 usable, 2 not)',
    load: () => import('./check-config.ts'),
  },
  {
    name: 'validate',
    summary: 'recognise and validate berichten (exit 0 valid, 1 invalid, 2 usage/unreadable)',
    load: () => import('./validate.ts'),
  },
  { name: 'migrate', summary: "bring the store's schema to this version and exit", load: () => import('./migrate.ts') },
  {
    name: 'reencrypt',
    summary: 'seal every stored body under the current body key (after a key rotation), in batches',
    load: () => import('./reencrypt.ts'),
  },
  {
    name: 'backup',
    summary: 'write a consistent copy of the SQLite store while the gateway runs',
    load: () => import('./backup.ts'),
  },
  {
    name: 'hash-password',
    summary: 'make the passwordHash of a beheer user (password read from stdin)',
    load: () => import('./hash-password.ts'),
  },
  {
    name: 'new-api-key',
    summary: 'make a new API key: prints the key once and the hash for the configuration',
    load: () => import('./new-api-key.ts'),
  },
  {
    name: 'healthcheck',
    summary: 'ask the gateway on this host for /healthz (or /readyz), over https with server.tls',
    load: () => import('./healthcheck.ts'),
  },
  {
    name: 'example',
    summary: 'print an example bericht of any message (or the answer to one), made by the project itself',
    load: () => import('./example.ts'),
  },
  {
    name: 'demo',
    summary: 'the gateway, demo parties that answer, and a few conversations to look at in /beheer (Ctrl-C stops)',
    load: () => import('./demo.ts'),
  },
  {
    name: 'receive',
    summary: 'a demo receiving system that prints what arrives (never the body)',
    load: () => import('./receive.ts'),
  },
  {
    name: 'schemas',
    summary: 'schemas import DIR: import an official schema pack',
    load: () => import('./schemas-import.ts'),
  },
];
