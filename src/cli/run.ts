// `node dist/src/cli/run.js …` (compiled) or `tsx src/cli/run.ts …`: the schakel command without bin/schakel.mjs.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
