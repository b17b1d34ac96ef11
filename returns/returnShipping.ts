import { returnCommandChecks } from './returnCommands.ts';
import { returnOfCommand } from './returnParticipantKeys.ts';
import { final, participantCommands, type Performed } from 'xsaga';

/** The label of a return: one per return, so its id is the return's. */
export const labelIdOf = (returnId: string): string => `lbl-${returnId}`;

/**
 * The shipping participant's part in returns: issues a return label, and voids it (the parcel never
 * came, or the saga gave up waiting for the label). A label asked for after its void is refused,
 * so a late issue cannot outlive the saga that stopped wanting it.
 */
export const returnShippingCommands = participantCommands({
  participant: 'shipping',
  handles: {
    // Once the parcel is in, the label has served: nothing voids it any more.
    IssueReturnLabel: { done: ['ReturnLabelIssued'], failed: ['ReturnLabelFailed'], settledBy: ['ParcelReceived'], check: returnCommandChecks.IssueReturnLabel },
    VoidReturnLabel: { done: ['ReturnLabelVoided'], failed: ['ReturnLabelVoidFailed'], undoes: 'IssueReturnLabel', check: returnCommandChecks.VoidReturnLabel },
  },
  subjectOf: returnOfCommand,
  transientFailure: (command) => ({
    type: command.type === 'VoidReturnLabel' ? 'ReturnLabelVoidFailed' : 'ReturnLabelFailed',
    data: { reason: 'CARRIER_UNAVAILABLE', retryable: true },
  }),
  async perform(_tx, commands, earlier): Promise<Performed[]> {
    const isVoided = new Set(earlier.filter((row) => row.operation === 'VoidReturnLabel').map((row) => row.order_id));
    return commands.map((command): Performed => {
      const returnId = returnOfCommand(command);
      if (command.type === 'IssueReturnLabel') {
        if (isVoided.has(returnId)) return final({ type: 'ReturnLabelFailed', data: { reason: 'LABEL_VOIDED', retryable: false } }, { shipment_id: null });
        return final({ type: 'ReturnLabelIssued', data: { labelId: labelIdOf(returnId) } }, { shipment_id: labelIdOf(returnId) });
      }
      if (command.type === 'VoidReturnLabel') {
        isVoided.add(returnId);
        return final({ type: 'ReturnLabelVoided', data: {} }, { shipment_id: labelIdOf(returnId) });
      }
      throw new Error(`shipping cannot handle ${command.type} for a return`);
    });
  },
});
