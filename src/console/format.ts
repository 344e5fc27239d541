/** Numbers as the console shows them: fixed locale, so a page reads the same in every browser. */

const amount = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const error = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumSignificantDigits: 2 });

/** A count or a volume, to two decimals at most. */
export const formatAmount = (n: number): string => amount.format(n);
/** An error bound, to two significant digits: it is itself an estimate. */
export const formatError = (n: number): string => error.format(n);
/** A fraction as a percentage, to two significant digits. */
export const formatPercent = (fraction: number): string => percent.format(fraction);
