/**
 * The bus topics of a system, named after its prefix so that test runs and tenants stay apart on
 * one cluster: one inbox for every saga (keyed by the saga's id), one command topic per
 * participant, one facts topic per saga's view, one topic for dead letters.
 */
export type SystemTopics = Readonly<{
  prefix: string;
  sagaInbox: string;
  deadLetters: string;
  /** Where a participant reads its commands. */
  commandsOf(participant: string): string;
  /** Where a saga's view facts go, for its projector (`name`: the view's name, e.g. `order`). */
  factsOf(name: string): string;
}>;

export function systemTopics(prefix = 'xsaga'): SystemTopics {
  return {
    prefix,
    sagaInbox: `${prefix}.saga-inbox`,
    deadLetters: `${prefix}.dead-letters`,
    commandsOf: (participant) => `${prefix}.${participant}-commands`,
    factsOf: (name) => `${prefix}.${name}-events`,
  };
}
