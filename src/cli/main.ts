import { runValidate } from './validate.ts';

const USAGE = `usage: schakel <command> [options]

commands:
  validate <files…> [--json] [--retour]   recognise and validate berichten (exit 0 valid, 1 invalid, 2 usage/unreadable)
  serve [--config FILE]                   run the gateway (default: the embedded demo config)
  migrate [--config FILE]                 run the store's schema migrations (PostgreSQL) and exit
  receive [--port 8081]                   a demo receiving system that prints what arrives
  example <MESSAGE> [--invalid RULE] | --answer FILE   print an example bericht (or the answer to one); --help for more
  demo [--port 8080]                      the gateway, a demo aanbieder that answers, and a few conversations (Ctrl-C stops)
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
    case 'example': {
      const { runExample } = await import('./example.ts');
      return runExample(rest, process.stdout, process.stderr);
    }
    case 'demo': {
      const { runDemo } = await import('./demo.ts');
      return runDemo(rest);
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
