/**
 * Process entry of the desktop simulator, configured by environment variables only (see README):
 * the `serve` command — signs nothing in by itself, connects with the bearer already in the
 * profile, takes JSON-line commands on stdin, handles SIGTERM/SIGINT with a clean close.
 */
import { runCli } from './cli.ts';

process.exitCode = await runCli(['serve']);
