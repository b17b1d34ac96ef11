import type { AnyStateMachine } from 'xstate';
import { emissionsOf } from './emittedCommands.ts';
import { entryLeaves, isTerminal, stateNodesOf, statePath, transitionsOf, type AnyStateNode, type MachineTransition } from '../machineGraph.ts';
import { isOver, leavesAfter, leavesKey, transitionsFrom, type Leaves } from './configurations.ts';
import { accepts, candidateTransitions, nextLeaves } from './leafTransitions.ts';
import { compensationOf, participantFor, replyMeanings, settlements, type ParticipantContract, type ReplyMeaning } from './participantContract.ts';

export const SAFETY_CHECKS = {
  'way-out': 'every non-final state has a way out (an event it accepts, or a deadline)',
  compensation: 'from every state after a completed step, compensation reaches a final state, undoing the steps in reverse order',
  'retry-exit': 'every retry loop has an exit: a failure that leads back to its attempt is guarded, and when the guard refuses it leads out',
  replies: 'every reply a participant can send is accepted, wherever its command is awaited',
  commands: 'every command the machine emits has a participant',
} as const;

export type SafetyCheck = keyof typeof SAFETY_CHECKS | 'structure';

export type SafetyProblem = Readonly<{ check: SafetyCheck; state: string | undefined; message: string }>;

export type SafetyReport = Readonly<{
  /** `machineId@version` */
  machine: string;
  states: number;
  transitions: number;
  commands: readonly string[];
  participants: readonly string[];
  problems: readonly SafetyProblem[];
  /** What the checks could not see or found odd without it being unsafe. */
  warnings: readonly string[];
}>;

/** A saga at rest (one atomic state, or one per region of a parallel state), with the steps it completed and the ones it undid, in order. */
type Configuration = Readonly<{ leaves: Leaves; completed: readonly string[]; undone: readonly string[] }>;

/** What replies and events mean to the checks: which step a reply completes or undoes, which steps an event settles. */
type Meanings = Readonly<{ replies: Map<string, ReplyMeaning[]>; settled: Map<string, string[]> }>;

const keyOf = (c: Configuration) => `${leavesKey(c.leaves)}|${c.completed.join(',')}|${c.undone.join(',')}`;
const quoted = (node: AnyStateNode) => `"${statePath(node)}"`;
const quotedLeaves = (leaves: Leaves) => `"${leaves.map(statePath).join(' & ')}"`;

function doneMeaning(meanings: Meanings, eventType: string): ReplyMeaning | undefined {
  return meanings.replies.get(eventType)?.find((meaning) => meaning.done);
}

/** Where `transition` takes a configuration, and whether it was a forward step that succeeded. */
function follow(from: Configuration, transition: MachineTransition, meanings: Meanings): { to: Configuration; forward: boolean } {
  const meaning = doneMeaning(meanings, transition.eventType);
  const forward = meaning !== undefined && meaning.undoes === undefined;
  let { completed, undone } = from;
  if (forward && !completed.includes(meaning.command)) completed = [...completed, meaning.command];
  if (meaning?.undoes !== undefined && !undone.includes(meaning.undoes)) undone = [...undone, meaning.undoes];
  const settled = meanings.settled.get(transition.eventType);
  if (settled) completed = completed.filter((command) => !settled.includes(command));
  return { to: { leaves: leavesAfter(from.leaves, transition), completed, undone }, forward };
}

/** Every configuration reachable from `start`, guards assumed either way unless the configuration decides them; `allow` filters the transitions taken. */
function explore(start: readonly Configuration[], all: readonly MachineTransition[], meanings: Meanings, allow: (forward: boolean) => boolean): Map<string, Configuration> {
  const seen = new Map(start.map((c) => [keyOf(c), c]));
  const queue = [...start];
  for (let config = queue.shift(); config; config = queue.shift()) {
    if (isOver(config.leaves)) continue;
    for (const transition of transitionsFrom(config.leaves, all).transitions) {
      const { to: next, forward } = follow(config, transition, meanings);
      if (!allow(forward) || seen.has(keyOf(next))) continue;
      seen.set(keyOf(next), next);
      queue.push(next);
    }
  }
  return seen;
}

function checkWayOut(leaves: readonly AnyStateNode[], all: readonly MachineTransition[]): SafetyProblem[] {
  const problems: SafetyProblem[] = [];
  for (const leaf of leaves) {
    if (leaf.type === 'final') continue;
    const candidates = candidateTransitions(leaf, all);
    const state = statePath(leaf);
    if (candidates.length === 0) {
      problems.push({ check: 'way-out', state, message: `state ${quoted(leaf)} accepts no event and has no deadline: a saga there waits forever` });
    } else if (!candidates.some((t) => nextLeaves(leaf, t).some((next) => next !== leaf))) {
      const events = [...new Set(candidates.map((t) => t.trigger))].join(', ');
      problems.push({ check: 'way-out', state, message: `state ${quoted(leaf)} only ever leads back into itself (${events}): a saga there can never leave` });
    }
  }
  return problems;
}

/**
 * A retry loop is a failure reply that leads, through nothing but failure replies, timers and
 * eventless transitions (no success, no human), back to the state that took it. Such a loop needs
 * a bound: its transition must be guarded, and a later transition for the same reply must leave.
 */
function checkRetryExits(leaves: readonly AnyStateNode[], all: readonly MachineTransition[], meanings: Meanings): SafetyProblem[] {
  const isFailure = (eventType: string) => meanings.replies.get(eventType)?.some((meaning) => !meaning.done) ?? false;
  const automatic = (t: MachineTransition) => t.eventType === '' || t.eventType.startsWith('xstate.after.') || isFailure(t.eventType);
  const returnsTo = (start: readonly AnyStateNode[], home: AnyStateNode): boolean => {
    const seen = new Set<AnyStateNode>(start);
    const queue = [...start];
    for (let leaf = queue.shift(); leaf; leaf = queue.shift()) {
      if (leaf === home) return true;
      for (const t of candidateTransitions(leaf, all).filter(automatic)) {
        for (const next of nextLeaves(leaf, t)) if (!seen.has(next) && (seen.add(next), true)) queue.push(next);
      }
    }
    return false;
  };
  const problems: SafetyProblem[] = [];
  for (const leaf of leaves.filter((l) => !isTerminal(l))) {
    const candidates = candidateTransitions(leaf, all);
    for (const failure of new Set(candidates.map((t) => t.eventType).filter(isFailure))) {
      const options = candidates.filter((t) => t.eventType === failure);
      const loops = options.map((t) => returnsTo(nextLeaves(leaf, t), leaf));
      if (!loops.some(Boolean)) continue;
      // Transitions after an unguarded one never run.
      const reachable = options.slice(0, options.findIndex((t) => t.definition.guard === undefined) + 1 || options.length);
      if (reachable.some((_, i) => !loops[i])) continue;
      problems.push({
        check: 'retry-exit',
        state: statePath(leaf),
        message: `state ${quoted(leaf)} retries on ${failure} with no way out of the loop: a failure that never ends keeps the saga retrying forever (park it, or fail, past a limit)`,
      });
    }
  }
  return problems;
}

function checkCompensation(reachable: Map<string, Configuration>, all: readonly MachineTransition[], meanings: Meanings, participants: readonly ParticipantContract[]): SafetyProblem[] {
  const problems = new Map<string, SafetyProblem>();
  for (const config of reachable.values()) {
    // A configuration passed through on the way to the next (a parallel state all done, an eventless move) is no place to fail in.
    if (config.completed.length === 0 || isOver(config.leaves) || transitionsFrom(config.leaves, all).passing) continue;
    const expected = config.completed.filter((command) => compensationOf(participants, command) !== undefined).reverse();
    const finals = [...explore([config], all, meanings, (forward) => !forward).values()].filter((c) => isOver(c.leaves));
    const undoneOf = (c: Configuration) => c.undone.filter((command) => expected.includes(command));
    if (finals.some((c) => undoneOf(c).join() === expected.join())) continue;
    const state = config.leaves.map(statePath).join(' & ');
    const after = `after ${config.completed.join(', ')} succeeded`;
    const key = `${state}|${config.completed.join()}`;
    const names = (commands: readonly string[]) => (commands.length > 0 ? commands.map((c) => compensationOf(participants, c)).join(' then ') : 'nothing');
    const message =
      finals.length === 0
        ? `state ${quotedLeaves(config.leaves)} (${after}) cannot reach a final state unless another step succeeds: a failure there leaves the completed steps in place`
        : `state ${quotedLeaves(config.leaves)} (${after}) reaches final states that undo ${[...new Set(finals.map((c) => names(undoneOf(c))))].join(' or ')}; ` +
          `expected ${names(expected)}, the reverse of the completed steps`;
    if (!problems.has(key)) problems.set(key, { check: 'compensation', state, message });
  }
  return [...problems.values()];
}

function checkMessages(machine: AnyStateMachine, all: readonly MachineTransition[], participants: readonly ParticipantContract[], operatorEvents: readonly string[]) {
  const problems: SafetyProblem[] = [];
  const warnings: string[] = [];
  const { emissions, opaque } = emissionsOf(machine);
  for (const action of opaque) warnings.push(`cannot tell what ${action.action} (${action.where}) emits: ${action.reason}`);
  for (const emission of emissions) {
    const participant = participantFor(participants, emission.command);
    if (!participant) {
      problems.push({ check: 'commands', state: undefined, message: `${emission.where} emits ${emission.command}, which no participant handles` });
      continue;
    }
    const contract = participant.handles[emission.command]!;
    for (const leaf of emission.awaitedIn.filter((l) => !isTerminal(l))) {
      for (const reply of [...contract.done, ...contract.failed].filter((r) => !accepts(leaf, r, all))) {
        problems.push({
          check: 'replies',
          state: statePath(leaf),
          message: `state ${quoted(leaf)} awaits ${emission.command} (${emission.where}) but does not accept its reply ${reply}: the saga would drop it and wait`,
        });
      }
    }
  }
  const acceptedAnywhere = new Set(all.map((t) => t.eventType));
  for (const [reply, meanings] of replyMeanings(participants)) {
    if (acceptedAnywhere.has(reply) || acceptedAnywhere.has('*')) continue;
    for (const meaning of meanings) {
      problems.push({ check: 'replies', state: undefined, message: `participant ${meaning.participant} may reply ${reply} to ${meaning.command}, but no state accepts it` });
    }
  }
  const sent = replyMeanings(participants);
  for (const eventType of acceptedAnywhere) {
    if (eventType === '' || eventType === '*' || eventType.startsWith('xstate.') || sent.has(eventType) || operatorEvents.includes(eventType)) continue;
    warnings.push(`the machine accepts ${eventType}, which no participant or operator action sends`);
  }
  const emitted = new Set(emissions.map((e) => e.command));
  for (const participant of participants) {
    for (const command of Object.keys(participant.handles)) if (!emitted.has(command)) warnings.push(`participant ${participant.name} handles ${command}, which the machine never emits`);
  }
  return { problems, warnings, commands: [...emitted] };
}

/**
 * Checks a saga from its definition alone, against what its participants declare: no state is a
 * dead end, every state after a completed step can still reach a final state through compensation
 * (undoing in reverse order), and commands and replies match up. Guards are assumed to go either way.
 *
 * @example
 * const report = checkSaga(orderSaga, [paymentParticipant(t), inventoryParticipant(t), shippingParticipant(t)], { version: 1 });
 * if (report.problems.length > 0) console.error(formatSafetyReport(report));
 */
export function checkSaga(
  machine: AnyStateMachine,
  participants: readonly ParticipantContract[],
  options: { version?: number; operatorEvents?: readonly string[] } = {},
): SafetyReport {
  const all = transitionsOf(machine);
  const nodes = stateNodesOf(machine);
  const structure: SafetyProblem[] = nodes
    .filter((node) => node.type === 'history')
    .map((node) => ({ check: 'structure', state: statePath(node), message: `state ${quoted(node)} is a ${node.type} state, which xsaga check cannot analyse` }));
  const meanings: Meanings = { replies: replyMeanings(participants), settled: settlements(participants) };
  const reachable = explore([{ leaves: entryLeaves(machine.root), completed: [], undone: [] }], all, meanings, () => true);
  const reachedLeaves = new Set([...reachable.values()].flatMap((c) => c.leaves));
  const leaves = nodes.filter((node) => node.type === 'atomic' || node.type === 'final');
  const messages = checkMessages(machine, all, participants, options.operatorEvents ?? []);
  const warnings = [...leaves.filter((leaf) => !reachedLeaves.has(leaf)).map((leaf) => `state ${quoted(leaf)} is unreachable`), ...messages.warnings];
  return {
    machine: `${machine.id}@${options.version ?? '?'}`,
    states: nodes.length,
    transitions: all.length,
    commands: messages.commands,
    participants: participants.map((p) => p.name),
    problems: [
      ...structure,
      ...checkWayOut(leaves, all),
      ...checkCompensation(reachable, all, meanings, participants),
      ...checkRetryExits(leaves, all, meanings),
      ...messages.problems,
    ],
    warnings,
  };
}

/** The report as people read it: one line per check, each problem under its check. */
export function formatSafetyReport(report: SafetyReport): string {
  const lines = [
    `${report.machine}: ${report.states} states, ${report.transitions} transitions; emits ${report.commands.join(', ') || 'nothing'}; participants ${report.participants.join(', ') || 'none'}`,
  ];
  for (const check of ['structure', ...Object.keys(SAFETY_CHECKS)] as SafetyCheck[]) {
    const problems = report.problems.filter((p) => p.check === check);
    if (check === 'structure' && problems.length === 0) continue;
    if (problems.length === 0) lines.push(`  ✓ ${check}: ${SAFETY_CHECKS[check as keyof typeof SAFETY_CHECKS]}`);
    else lines.push(`  ✗ ${check}:`, ...problems.map((p) => `      ${p.message}`));
  }
  for (const warning of report.warnings) lines.push(`  ! ${warning}`);
  lines.push(report.problems.length === 0 ? '  safe' : `  ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}
