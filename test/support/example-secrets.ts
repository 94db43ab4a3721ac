/** Values for every secret variable config/sites.example.yaml names, for process start-up tests. */
export const exampleSecrets = {
  VCENTER_USER: 'u',
  VCENTER_PASSWORD: 'p',
  STORWIZE_SITE5_KEY: 'k',
  STORWIZE_LOGNES_KEY: 'k',
  DSM_USER: 'u',
  DSM_PASSWORD: 'p',
  ZERTO_CLIENT_ID: 'c',
  ZERTO_CLIENT_SECRET: 's',
};
