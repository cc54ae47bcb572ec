/**
 * Whether a delivery must be dead-lettered `POISON` instead of processed: its attempt (the
 * attempts recorded on the message plus the broker's count of deliveries that ended without
 * being settled, plus this one) is past the limit. Only a delivery whose earlier attempts died
 * unsettled gets here: an attempt that fails in the step itself is retried or dead-lettered
 * by the step at the limit. Answers the reason for a person, or null to go on.
 */
export const poisonReason = (attempt: number, maxAttempts: number): string | null =>
  attempt > maxAttempts
    ? `delivered ${attempt} times, more than MAX_DELIVERY_ATTEMPTS (${maxAttempts}): earlier deliveries ended ` +
      `without being settled (the consumer process died while processing the batch), so it is not processed again`
    : null
