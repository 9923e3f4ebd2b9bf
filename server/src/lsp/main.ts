/**
 * Language server entry: `ar-migrate-language-server --stdio | --node-ipc |
 * --socket=PORT | --pipe=NAME` (stdio when no transport is given).
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { PLUGINS } from './plugins';
import { redact, startServer } from './server';

const TRANSPORTS = ['--stdio', '--node-ipc', '--socket', '--pipe'];
const args = process.argv.slice(2);

if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'Usage: ar-migrate-language-server [--stdio | --node-ipc | --socket=PORT | --pipe=NAME] [--clientProcessId=PID]\n' +
      'Language server for container image references (Dockerfile, YAML). Settings: section "arMigrate".\n',
  );
  process.exit(0);
}
if (!args.some((a) => TRANSPORTS.some((t) => a === t || a.startsWith(`${t}=`)))) process.argv.push('--stdio');

const connection = createConnection(ProposedFeatures.all);

process.on('uncaughtException', (err) => {
  try {
    connection.console.error(redact(`uncaught error: ${err?.stack ?? err}`));
  } catch {
    process.stderr.write(redact(`uncaught error: ${err?.stack ?? err}\n`));
  }
});
process.on('unhandledRejection', (err) => {
  try {
    connection.console.error(redact(`unhandled rejection: ${(err as Error)?.stack ?? err}`));
  } catch {
    process.stderr.write(redact(`unhandled rejection: ${(err as Error)?.stack ?? err}\n`));
  }
});

startServer(connection, { plugins: PLUGINS });
connection.listen();
