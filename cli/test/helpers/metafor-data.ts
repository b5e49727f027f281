/** metafor's dat.pritz1997 (Pritz 1997): 14 studies of good outcome after aneurysm surgery, successes xi of ni. */
export const PRITZ: [number, number][] = [
  [16, 17],
  [10, 12],
  [4, 8],
  [43, 58],
  [10, 10],
  [25, 42],
  [13, 14],
  [12, 12],
  [22, 41],
  [4, 5],
  [5, 6],
  [18, 23],
  [58, 68],
  [6, 10],
];
