// Taiwan national ID (國民身分證統一編號) check, the same rule as demo/national_id.py: the
// letter's two-digit code and the nine digits, weighted 1,9,8,7,6,5,4,3,2,1,1, sum to a
// multiple of ten. The server checks nothing less; this only saves a round trip.

// prettier-ignore
const LETTER_CODES = {
  A: 10, B: 11, C: 12, D: 13, E: 14, F: 15, G: 16, H: 17, I: 34, J: 18, K: 19, L: 20, M: 21,
  N: 22, O: 35, P: 23, Q: 24, R: 25, S: 26, T: 27, U: 28, V: 29, W: 32, X: 30, Y: 31, Z: 33,
};
const WEIGHTS = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1];

/** True when ``value`` is one upper-case letter, 1 or 2, eight digits and a right check digit. */
export function isValidNationalId(value) {
  if (typeof value !== "string" || !/^[A-Z][12]\d{8}$/.test(value)) return false;
  const code = LETTER_CODES[value[0]];
  const digits = [Math.floor(code / 10), code % 10, ...value.slice(1).split("").map(Number)];
  const sum = digits.reduce((total, digit, i) => total + digit * WEIGHTS[i], 0);
  return sum % 10 === 0;
}

/** Why ``value`` is not a national ID, in words for the clerk; null when it is one. */
export function nationalIdProblem(value) {
  if (!/^[A-Z]\d{9}$/.test(value)) {
    return "身分證統一編號須為 1 個英文字母加 9 位數字 (a national ID is one letter and nine digits)";
  }
  if (!/^[A-Z][12]/.test(value)) {
    return "第 2 碼須為 1 或 2 (the second character is 1 or 2)";
  }
  if (!isValidNationalId(value)) {
    return "檢查碼不正確，請再核對一次 (the check digit does not match)";
  }
  return null;
}
