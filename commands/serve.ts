// `mtls-doctor serve`: the Slack bot (commands/serve/). Only its options are declared here; the bot
// and what it needs load when it starts, so `serve --help` stays quick.
import type { Command } from 'commander';
import { type CommandContext, collect } from './cli-kit.js';
import type { ServeOptions } from './serve/run.js';

export function register(program: Command, { io, description }: CommandContext): void {
  program
    .command('serve')
    .description(description)
    .option('-f, --file <path>', 'diagnose these manifests instead of a live cluster (demo, tests)', collect)
    .option(
      '--config <file>',
      'YAML configuration (access rules, istioctl, kubernetes); default $MTLS_DOCTOR_CONFIG',
    )
    .option('--context <ctx>', 'kubeconfig context')
    .option('--kubeconfig <path>', 'kubeconfig file')
    .action(async (options: ServeOptions) => {
      const { runServe } = await import('./serve/run.js');
      await runServe(options, io);
    });
}
