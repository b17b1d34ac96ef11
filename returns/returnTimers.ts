const timer = (delay: string, path: string) => `xstate.after.${delay}.returnSaga.${path}`;

/** Every timer of the returns saga, by what it waits for: `xstate.after.<delay>.returnSaga.<state path>`. */
export const RETURN_TIMERS = {
  approval: timer('approvalDeadline', 'awaitingApproval'),
  label: timer('stepDeadline', 'label'),
  labelBackoff: timer('labelBackoff', 'label.backingOff'),
  parcel: timer('parcelDeadline', 'awaitingParcel'),
  voidBackoff: timer('voidLabelBackoff', 'voidingLabel.backingOff'),
  refund: timer('stepDeadline', 'processing.refund.refunding'),
  refundBackoff: timer('refundBackoff', 'processing.refund.backingOff'),
  restock: timer('stepDeadline', 'processing.restock.restocking'),
  restockBackoff: timer('restockBackoff', 'processing.restock.backingOff'),
  reverseRestockBackoffBoth: timer('reverseRestockBackoff', 'compensating.both.reversingRestock.backingOff'),
  reverseRefundBackoffBoth: timer('reverseRefundBackoff', 'compensating.both.reversingRefund.backingOff'),
  reverseRestockBackoff: timer('reverseRestockBackoff', 'compensating.restock.backingOff'),
  reverseRefundBackoff: timer('reverseRefundBackoff', 'compensating.refund.backingOff'),
} as const;
