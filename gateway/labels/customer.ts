/**
 * The customer's own codes: what the CRM says of the customer (status, type, gender, region), what the scoring
 * system says (credit grade, value tier, positioning) and what the warehouse's nightly batch says (segment, tags,
 * trend, roaming destinations).
 */
import type { Labels } from './types';

export const profileStatus: Labels = {
  ACTIVE: { zh: '正常', en: 'active' },
  SUSPENDED: { zh: '停机', en: 'suspended' },
};

export const customerType: Labels = {
  INDIVIDUAL: { zh: '个人客户', en: 'individual' },
  KEY_ACCOUNT: { zh: '集团大客户', en: 'key account' },
};

export const gender: Labels = {
  M: { zh: '男', en: 'male' },
  F: { zh: '女', en: 'female' },
};

/** The CRM's regions, by administrative division code. */
export const region: Labels = {
  '440100': { zh: '广东省广州市', en: 'Guangzhou, Guangdong' },
  '440300': { zh: '广东省深圳市', en: 'Shenzhen, Guangdong' },
  '330100': { zh: '浙江省杭州市', en: 'Hangzhou, Zhejiang' },
  '320100': { zh: '江苏省南京市', en: 'Nanjing, Jiangsu' },
  '510100': { zh: '四川省成都市', en: 'Chengdu, Sichuan' },
  '420100': { zh: '湖北省武汉市', en: 'Wuhan, Hubei' },
};

/** The scoring system's credit grades, best first; C is low (RISK.lowCreditGrades). */
export const creditGrade: Labels = {
  AAA: { zh: 'AAA级（极好）', en: 'AAA (excellent)' },
  AA: { zh: 'AA级（优良）', en: 'AA (very good)' },
  A: { zh: 'A级（良好）', en: 'A (good)' },
  B: { zh: 'B级（一般）', en: 'B (fair)' },
  C: { zh: 'C级（较差）', en: 'C (poor)' },
};

export const valueTier: Labels = {
  DIAMOND: { zh: '钻石', en: 'diamond' },
  PLATINUM: { zh: '白金', en: 'platinum' },
  GOLD: { zh: '金卡', en: 'gold' },
  SILVER: { zh: '银卡', en: 'silver' },
  STANDARD: { zh: '普通', en: 'standard' },
};

/** The scoring system's positioning, in its own words (English text, not a code), and how an agent says it. */
export const positioning: Labels = {
  'small business owner': { zh: '小微企业主', en: 'small business owner' },
  'senior white-collar': { zh: '高级白领', en: 'senior white-collar' },
  'university student': { zh: '在校大学生', en: 'university student' },
  'young professional': { zh: '青年职场人士', en: 'young professional' },
  retiree: { zh: '退休人员', en: 'retiree' },
  'frequent business traveller': { zh: '商务常旅客', en: 'frequent business traveller' },
};

/** The warehouse's segments. */
export const segment: Labels = {
  HIGH_VALUE_BUSINESS: { zh: '高价值商务', en: 'high-value business' },
  YOUTH_DATA: { zh: '年轻数据用户', en: 'young data users' },
  FAMILY: { zh: '家庭用户', en: 'family' },
  MASS_MARKET: { zh: '大众市场', en: 'mass market' },
  SENIOR: { zh: '银发用户', en: 'senior' },
  SMALL_BUSINESS: { zh: '小微企业', en: 'small business' },
};

/** The warehouse's tags (mined from usage; English text as the batch writes it). */
export const tag: Labels = {
  'fashion-forward early adopter': { zh: '时尚尝鲜者', en: 'fashion-forward early adopter' },
  'senior white-collar': { zh: '高级白领', en: 'senior white-collar' },
  'car lover': { zh: '汽车爱好者', en: 'car lover' },
  'frequent traveller to Hong Kong/Macau': { zh: '港澳常旅客', en: 'frequent traveller to Hong Kong/Macau' },
  'heavy video user': { zh: '视频重度用户', en: 'heavy video user' },
  'price sensitive': { zh: '价格敏感', en: 'price sensitive' },
  'family plan head': { zh: '家庭套餐户主', en: 'family plan head' },
  'night owl gamer': { zh: '夜间游戏玩家', en: 'night owl gamer' },
};

/** The trend of the last three months' ARPU. */
export const trend: Labels = {
  UP: { zh: '上升', en: 'rising' },
  FLAT: { zh: '持平', en: 'flat' },
  DOWN: { zh: '下降', en: 'falling' },
};

/** Where customers have roamed: the destinations seen so far (the set is open: others may appear). */
export const roamingDestination: Labels = {
  'Hong Kong': { zh: '香港', en: 'Hong Kong' },
  Macau: { zh: '澳门', en: 'Macau' },
  Taiwan: { zh: '台湾', en: 'Taiwan' },
  Japan: { zh: '日本', en: 'Japan' },
  Korea: { zh: '韩国', en: 'Korea' },
  Thailand: { zh: '泰国', en: 'Thailand' },
  Singapore: { zh: '新加坡', en: 'Singapore' },
  USA: { zh: '美国', en: 'USA' },
};
