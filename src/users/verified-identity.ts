/** Who Google says signed in: the checked claims of the ID token that a user row is made from. */
export interface VerifiedIdentity {
  sub: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  hostedDomain: string | null;
}
