import { runValidate } from './validate.ts';

const USAGE = `usage: schakel <command> [options]

commands:
  validate <files…> [--json] [--retour]   recognise and validate berichten (exit 0 valid, 1 invalid, 2 usage/unreadable)
  serve [--config FILE]                   run the gateway (default: the embedded demo config)
  migrate [--config FILE]                 run the store's schema migrations (PostgreSQL) and exit
  receive [--port 8081]                   a demo receiving system that prints what arrives
  schemas import <dir> --standard S --release X [--group G] [--into DIR]   import an official schema pack (exit 0 ok, 1 a schema fails, 2 usage)
`;

/** The `schakel` command. Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'validate':
      return runValidate(rest, process.stdout, process.stderr);
    case 'serve': {
      const { runServe } = await import('./serve.ts');
      return runServe(rest);
    }
    case 'schemas': {
      const { runSchemas } = await import('./schemas-import.ts');
      return runSchemas(rest, process.stdout, process.stderr);
    }
    case 'migrate': {
      const { runMigrate } = await import('./migrate.ts');
      return runMigrate(rest);
    }
    case 'receive': {
      const { runReceive } = await import('./receive.ts');
      return runReceive(rest);
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`schakel: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
