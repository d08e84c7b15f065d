/**
 * A small schema of the view's shape for unit tests of the planner and the masks (test/unit): a Customer with
 * sections from several sources, objects inside them, a list and a non-null field.
 */
import { buildSchema } from 'graphql';

export const viewSchema = buildSchema(/* GraphQL */ `
  type Query {
    customer(id: ID!): Customer
    version: String
  }
  type Customer {
    id: ID!
    profile: Profile
    billing: Billing
    insights: Insights
    contacts: [Contact!]
  }
  type Profile {
    name: String
    idCardNumber: String
    msisdn: String
    email: String
    address: String
    aliases: [String!]
    manager: Manager
  }
  type Manager {
    name: String!
    phone: String
  }
  type Billing {
    balance: Float
  }
  type Insights {
    segment: String
  }
  type Contact {
    id: ID!
    channel: String
    note: String
  }
`);
