/** Where the reference has the returns saga: its own picture of the state, named as the machine's state values read (`dottedState`). */
export type Branch = 'refund' | 'restock';
/** Where a branch stands: sending, waiting between attempts, or settled. */
export type BranchState = 'sending' | 'backingOff' | 'done' | 'refused' | 'unknown';
export type Sub = 'sending' | 'backingOff' | 'parked';
export type Where =
  | { at: 'awaitingApproval' | 'awaitingParcel' | 'completed' | 'rejected' | 'expired' | 'failed' }
  | { at: 'label' | 'voidingLabel'; sub: Sub }
  | { at: 'processing'; refund: BranchState; restock: BranchState }
  | { at: 'compensating'; chain: 'both' | Branch; undoing: Branch; sub: Sub };

const BRANCH_NAMES: Readonly<Record<Branch, Readonly<Record<BranchState, string>>>> = {
  refund: { sending: 'refunding', backingOff: 'backingOff', done: 'refunded', refused: 'refused', unknown: 'unknown' },
  restock: { sending: 'restocking', backingOff: 'backingOff', done: 'restocked', refused: 'refused', unknown: 'unknown' },
};
const SUB_NAMES: Readonly<Record<'label' | 'voidingLabel' | 'compensating', Readonly<Record<Sub, string>>>> = {
  label: { sending: 'issuing', backingOff: 'backingOff', parked: 'parked' },
  voidingLabel: { sending: 'voiding', backingOff: 'backingOff', parked: 'parked' },
  compensating: { sending: 'reversing', backingOff: 'backingOff', parked: 'parked' },
};
export const FINAL = new Set(['completed', 'rejected', 'expired', 'failed']);

export function nameOf(where: Where): string {
  switch (where.at) {
    case 'label':
    case 'voidingLabel':
      return `${where.at}.${SUB_NAMES[where.at][where.sub]}`;
    case 'processing':
      return `processing(refund.${BRANCH_NAMES.refund[where.refund]}, restock.${BRANCH_NAMES.restock[where.restock]})`;
    case 'compensating': {
      const undoing = where.undoing === 'refund' ? 'reversingRefund' : 'reversingRestock';
      return `compensating.${where.chain === 'both' ? `both.${undoing}` : where.chain}.${SUB_NAMES.compensating[where.sub]}`;
    }
    default:
      return where.at;
  }
}
