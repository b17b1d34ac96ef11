import { returnInventoryCommands } from './returnInventory.ts';
import { returnPaymentCommands } from './returnPayment.ts';
import { returnShippingCommands } from './returnShipping.ts';
import type { ParticipantCommands } from 'xsaga';

/** The commands the returns saga adds to the payment, inventory and shipping participants. */
export const returnParticipantCommands: readonly ParticipantCommands[] = [returnPaymentCommands, returnInventoryCommands, returnShippingCommands];
