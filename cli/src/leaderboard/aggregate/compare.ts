/** Orders shared by the aggregation steps: the leaderboard sorts by code point, never by locale. */

/** Compares two strings by code point (as `<` does), for sort. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Compares two records by id, for sort. */
export const byId = (a: { id: string }, b: { id: string }): number => compareText(a.id, b.id);
