import type { Message } from 'xsaga';

/** A return's commands are about the return: several returns of one order are several subjects. */
export const returnOfCommand = (command: Message): string => (command.data as { returnId: string }).returnId;

/** The order a return's command belongs to. */
export const orderOfReturnCommand = (command: Message): string => (command.data as { orderId: string }).orderId;
