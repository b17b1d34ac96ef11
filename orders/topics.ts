import { systemTopics } from '../runtime/systemTopics.ts';

/** The bus topics of the order system. A prefix keeps test runs and tenants apart on one cluster. */
export type Topics = Readonly<{
  prefix: string;
  sagaInbox: string;
  paymentCommands: string;
  inventoryCommands: string;
  shippingCommands: string;
  fraudCommands: string;
  orderEvents: string;
  /** Every message a consumer could not handle, with the error, its stream and its original headers. */
  deadLetters: string;
}>;

export function topicsFor(prefix = 'xsaga'): Topics {
  const system = systemTopics(prefix);
  return {
    prefix,
    sagaInbox: system.sagaInbox,
    paymentCommands: system.commandsOf('payment'),
    inventoryCommands: system.commandsOf('inventory'),
    shippingCommands: system.commandsOf('shipping'),
    fraudCommands: system.commandsOf('fraud'),
    orderEvents: system.factsOf('order'),
    deadLetters: system.deadLetters,
  };
}

export const allTopics = (topics: Topics): string[] => Object.entries(topics).filter(([name]) => name !== 'prefix').map(([, topic]) => topic);

/** The consumer groups of a system: named after its topic prefix, so two systems on one cluster never share one. */
export type ConsumerGroups = Readonly<{ sagaWorker: string; projector: string; participant(name: string): string }>;

export function consumerGroupsFor(prefix = 'xsaga'): ConsumerGroups {
  return {
    sagaWorker: `${prefix}.saga-worker`,
    projector: `${prefix}.projector`,
    participant: (name) => `${prefix}.participant.${name}`,
  };
}
