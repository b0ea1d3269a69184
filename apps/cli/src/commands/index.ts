import type { Command, CommandGroup } from '../command.ts';
import { accountsGroup } from './accounts.ts';
import { auditGroup } from './audit.ts';
import { bindingsGroup } from './bindings.ts';
import { casGroup } from './cas.ts';
import { certsGroup } from './certs.ts';
import { edgesGroup } from './edges.ts';
import { joinTokensGroup } from './join-tokens.ts';
import { configCommand, loginCommand } from './login.ts';
import { rulesGroup } from './rules.ts';
import { serverCertsGroup } from './server-certs.ts';
import { sitesGroup } from './sites.ts';

/** Every command of the CLI, in the order help lists them: groups of verbs, and single commands. */
export const commandTree: readonly (CommandGroup | Command)[] = [
  certsGroup,
  bindingsGroup,
  casGroup,
  rulesGroup,
  sitesGroup,
  serverCertsGroup,
  accountsGroup,
  edgesGroup,
  joinTokensGroup,
  auditGroup,
  loginCommand,
  configCommand,
];

export const isGroup = (entry: CommandGroup | Command): entry is CommandGroup => 'commands' in entry;
